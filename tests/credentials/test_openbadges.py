"""Open Badges 3.0 credentials, verified with PyJWT (the site signs with joserfc), and the
Bitstring Status List, decoded here by hand."""

import base64
import gzip
import hashlib
from http import HTTPStatus

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.urls import reverse

from certificates import states
from credentials import keys, openbadges
from tests.certificates.test_certificates import a_fresh_minute

pytestmark = pytest.mark.django_db

SITE = "https://ce.example.test"


def fetch_credential(client, certificate) -> str:
    url = reverse("credentials:credential", args=[certificate.display_code])
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/vc+jwt"
    return response.content.decode()


def verify_independently(client, token: str) -> dict:
    """What any verifier does: find the key by `kid` in the published JWKS and check the
    signature with another library (PyJWT on `cryptography`)."""
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "JWT"
    published = client.get(reverse("credentials:jwks")).json()["keys"]
    [jwk] = [k for k in published if k["kid"] == header["kid"]]
    assert "d" not in jwk  # never the private part
    assert client.get(header["kid"].removeprefix(SITE)).json() == jwk  # kid is the key's URL
    public = pyjwt.PyJWK(jwk, algorithm="EdDSA")
    return pyjwt.decode(token, key=public, algorithms=["EdDSA"], options={"verify_aud": False})


def test_the_credential_verifies_with_another_library(client, certificate):
    claims = verify_independently(client, fetch_credential(client, certificate))
    assert claims["credentialSubject"]["name"] == certificate.holder_display


def test_a_changed_credential_fails_verification(client, certificate):
    token = fetch_credential(client, certificate)
    header, _payload, signature = token.split(".")
    claims = pyjwt.decode(token, options={"verify_signature": False})
    claims["credentialSubject"]["creditsEarned"] = 99.0
    forged_payload = pyjwt.utils.base64url_encode(
        pyjwt.api_jws.json.dumps(claims, separators=(",", ":")).encode()
    ).decode()
    with pytest.raises(pyjwt.InvalidSignatureError):
        verify_independently(client, f"{header}.{forged_payload}.{signature}")


def test_every_field_open_badges_requires_of_an_achievement_credential(client, certificate):
    claims = verify_independently(client, fetch_credential(client, certificate))
    # VC-JWT registered claims (OB 3.0 §8.2): iss = issuer.id, jti = id, nbf = validFrom.
    assert claims["iss"] == claims["issuer"]["id"] == f"{SITE}/credentials/issuer.json"
    assert claims["jti"] == claims["id"]
    assert claims["nbf"] == int(certificate.issued_at.timestamp())
    # AchievementCredential: @context, id, type, name, issuer, validFrom, credentialSubject.
    assert claims["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert claims["id"] == f"{SITE}/verify/{certificate.display_code}/credential.jwt"
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(claims["type"])
    assert claims["name"] == f"Certificate of Completion: {certificate.course_title}"
    assert claims["validFrom"].endswith("Z")
    # Profile: id and type (name too).
    assert claims["issuer"]["type"] == ["Profile"]
    assert claims["issuer"]["name"] == "Clinician CE Institute"
    # AchievementSubject: type and achievement; the holder by name (and license, hashed).
    subject = claims["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    name = next(i for i in subject["identifier"] if i["identityType"] == "name")
    assert name == {
        "type": "IdentityObject", "identityType": "name", "hashed": False,
        "identityHash": certificate.holder_name,
    }  # fmt: skip
    assert certificate.license_number  # the fixture's holder states one
    license_id = next(i for i in subject["identifier"] if i["hashed"])
    expected = hashlib.sha256((certificate.license_number + license_id["salt"]).encode())
    assert license_id["identityHash"] == f"sha256${expected.hexdigest()}"
    assert certificate.license_number not in str(claims)
    assert subject["activityEndDate"].startswith(certificate.completed_on.isoformat())
    assert subject["creditsEarned"] == float(certificate.ce_credits)
    # Achievement: id, type, name, description, criteria (narrative).
    achievement = subject["achievement"]
    assert achievement["id"].startswith(f"{SITE}/courses/")
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == certificate.course_title
    assert achievement["description"]
    assert achievement["criteria"]["narrative"]
    assert achievement["creditsAvailable"] == float(certificate.ce_credits)
    # Credits and credit type as a result against the achievement's result description.
    [description] = achievement["resultDescription"]
    assert {"id", "type", "name", "resultType"} <= set(description)
    assert description["name"] == certificate.credit_type
    [result] = subject["result"]
    assert result["type"] == ["Result"]
    assert result["resultDescription"] == description["id"]
    assert float(result["value"]) == float(certificate.ce_credits)
    [alignment] = achievement["alignment"]  # the approving body (APA in the fixture)
    assert {"type", "targetName", "targetUrl"} <= set(alignment)
    assert certificate.approving_body in alignment["targetName"]
    # Evidence links to the verification page; status and schema are declared.
    [evidence] = claims["evidence"]
    assert evidence["id"] == f"{SITE}{certificate.get_absolute_url()}"
    assert evidence["type"] == ["Evidence"]
    status = claims["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListCredential"] == f"{SITE}/credentials/status/revocation.jwt"
    assert claims["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"


def test_the_issuer_profile_is_published(client, db):
    response = client.get(reverse("credentials:issuer"))
    profile = response.json()
    assert profile["id"] == f"{SITE}/credentials/issuer.json"
    assert profile["type"] == ["Profile"]
    assert "max-age" in response["Cache-Control"]


def revoked_bit(client, status_entry: dict) -> int:
    """Fetch the status list, verify it with PyJWT, decode it per the W3C spec
    (multibase "u" + base64url, GZIP, bit 0 = the first byte's most significant bit)."""
    response = client.get(status_entry["statusListCredential"].removeprefix(SITE))
    assert response.status_code == HTTPStatus.OK
    cache = response["Cache-Control"]
    assert "max-age=60" in cache
    listing = verify_independently(client, response.content.decode())
    assert "BitstringStatusListCredential" in listing["type"]
    subject = listing["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")
    raw = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    assert len(bits) * 8 >= 131_072
    index = int(status_entry["statusListIndex"])
    return (bits[index // 8] >> (7 - index % 8)) & 1


def test_revoking_and_reinstating_flip_the_bit_at_once(client, certificate):
    claims = verify_independently(client, fetch_credential(client, certificate))
    entry = claims["credentialStatus"]
    assert revoked_bit(client, entry) == 0
    states.certificate_revoke(
        certificate=certificate, public_reason="issued_in_error", note="Wrong course"
    )
    assert revoked_bit(client, entry) == 1
    states.certificate_reinstate(certificate=certificate, note="Revoked by mistake")
    assert revoked_bit(client, entry) == 0


def test_a_reissue_revokes_the_old_credential_and_not_the_new(client, certificate):
    old_entry = verify_independently(client, fetch_credential(client, certificate))[
        "credentialStatus"
    ]
    new = states.certificate_reissue(certificate=certificate, note="Name spelling")
    new_entry = verify_independently(client, fetch_credential(client, new))["credentialStatus"]
    assert new_entry["statusListIndex"] != old_entry["statusListIndex"]
    assert revoked_bit(client, old_entry) == 1
    assert revoked_bit(client, new_entry) == 0


def test_a_rotated_key_stays_published_and_old_credentials_verify(
    client, certificate, settings, tmp_path
):
    old_token = fetch_credential(client, certificate)
    old_kid = pyjwt.get_unverified_header(old_token)["kid"]
    # Rotation: a new signing key; the old one's public half goes to the retired file.
    new_key = tmp_path / "new.pem"
    new_key.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    retired = tmp_path / "retired.pem"
    retired.write_bytes(keys.credential_signing_key().as_pem(private=False))
    settings.CREDENTIAL_SIGNING_KEY_FILE = str(new_key)
    settings.CREDENTIAL_RETIRED_KEYS_FILE = str(retired)
    keys.credential_signing_key.cache_clear()
    keys.credential_public_keys.cache_clear()
    try:
        new_token = fetch_credential(client, certificate)
        assert pyjwt.get_unverified_header(new_token)["kid"] != old_kid
        kids = [k["kid"] for k in client.get(reverse("credentials:jwks")).json()["keys"]]
        assert len(kids) == 2
        assert old_kid in kids
        assert verify_independently(client, old_token)["id"] == openbadges.credential_url(
            certificate
        )
        verify_independently(client, new_token)
    finally:
        keys.credential_signing_key.cache_clear()
        keys.credential_public_keys.cache_clear()


def test_unknown_codes_and_keys_are_404(client, db):
    url = reverse("credentials:credential", args=["ZZZZ-ZZZZ-ZZZZ-ZZZZ"])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("credentials:key", args=["nope"])).status_code == 404


def test_the_learner_page_offers_the_credential_download(client, certificate):
    client.force_login(certificate.enrollment.user)
    page = client.get(reverse("certificates:course", args=[certificate.enrollment.course.slug]))
    link = reverse("credentials:credential", args=[certificate.display_code]) + "?download=1"
    assert link in page.content.decode()
    download = client.get(link)
    assert download["Content-Disposition"] == (
        f'attachment; filename="credential-{certificate.display_code}.jwt"'
    )


def test_the_public_endpoints_have_bounded_queries(
    client, certificate, django_assert_max_num_queries
):
    # 11 of them count the lookup in the database cache (one Redis call in production).
    with django_assert_max_num_queries(13):
        fetch_credential(client, certificate)
    with django_assert_max_num_queries(2):  # the withdrawn indexes, the list's extent
        assert client.get(reverse("credentials:status_list")).status_code == HTTPStatus.OK
    with django_assert_max_num_queries(0):
        client.get(reverse("credentials:jwks"))
        client.get(reverse("credentials:issuer"))


def test_the_credential_shares_the_lookup_budget(client, certificate, settings):
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 1
    a_fresh_minute()
    url = reverse("credentials:credential", args=[certificate.display_code])
    assert [client.get(url).status_code for _ in range(2)] == [200, 429]
