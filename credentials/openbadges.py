"""Open Badges 3.0 credentials (an AchievementCredential per certificate), the issuer
profile, the public keys and the W3C Bitstring Status List that says which credentials
are revoked.

Format: VC-JWT as Open Badges 3.0 §8.2 describes it (VC Data Model 2.0): the JWT payload
is the credential itself plus the registered claims iss, jti and nbf; the header names
the signing key by `kid`, a URL that serves that key as a JWK. Signed with joserfc using
the provider's Ed25519 key, algorithm "EdDSA" (RFC 8037; what OB 3.0 verifiers and PyJWT
accept today, though RFC 9864 prefers the newer name "Ed25519"). A Data Integrity proof
(eddsa-rdfc-2022) would need JSON-LD canonicalisation, which no kept library makes
simple; VC-JWT needs none.

A credential is derived from the certificate on each request and is deterministic
(Ed25519 signatures are), so its URL always serves the same token while the key is the
same. Revocation is not in the token: it is the credential's bit in the status list,
derived from the certificates' statuses on each request, so it flips the moment a
certificate is revoked, reissued or reinstated.
"""

import base64
import datetime
import gzip
import hashlib
import warnings

from django.conf import settings
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import SecurityWarning

from certificates.models import Certificate

from . import keys
from .models import StatusListEntry
from .status import status_index, status_list_capacity

OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
OB_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}
ALGORITHM = "EdDSA"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def issuer_id() -> str:
    return absolute(reverse("credentials:issuer"))


def key_url(kid: str) -> str:
    return absolute(reverse("credentials:key", args=[kid]))


def status_list_url() -> str:
    return absolute(reverse("credentials:status_list"))


def credential_url(certificate: Certificate) -> str:
    return absolute(reverse("credentials:credential", args=[certificate.display_code]))


def issuer_profile() -> dict:
    """The issuer's Profile as published at its own URL."""
    return {"@context": OB_CONTEXT, **_profile()}


def _profile() -> dict:
    """The Profile as embedded in credentials and achievements."""
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": settings.SITE_NAME,
        "url": absolute("/"),
        "description": "Provider of continuing-education courses and their certificates.",
    }


def public_jwks() -> dict:
    """Every key our credentials may be signed with; each `kid` is the key's own URL."""
    return {"keys": [public_jwk(key) for key in keys.credential_public_keys()]}


def public_jwk(key) -> dict:
    return {**key.as_dict(private=False), "kid": key_url(key.kid), "use": "sig", "alg": ALGORITHM}


def _sign(payload: dict) -> str:
    key = keys.credential_signing_key()
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": key_url(key.kid)}
    with warnings.catch_warnings():
        # joserfc warns that RFC 9864 deprecates the name "EdDSA"; see the module docstring.
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.encode(header, payload, key, algorithms=[ALGORITHM])


def _instant(moment) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _license_identity(certificate: Certificate) -> list[dict]:
    """The license number as Open Badges' salted hash: a board that knows the number can
    check it, and the public credential does not print it."""
    if not certificate.license_number:
        return []
    salt = hashlib.sha256(f"{settings.SECRET_KEY}:{certificate.code}".encode()).hexdigest()[:16]
    digest = hashlib.sha256((certificate.license_number + salt).encode()).hexdigest()
    return [
        {
            "type": "IdentityObject",
            "identityType": "ext:LicenseNumber",
            "hashed": True,
            "identityHash": f"sha256${digest}",
            "salt": salt,
        }
    ]


def achievement_credential(certificate: Certificate) -> dict:
    """The OpenBadgeCredential (AchievementCredential) for one certificate: what the
    verification page shows, as Open Badges 3.0 data."""
    url = credential_url(certificate)
    verify = absolute(certificate.get_absolute_url())
    course = absolute(reverse("courses:detail", args=[certificate.enrollment.course.slug]))
    credits = float(certificate.ce_credits)
    credit_name = certificate.credit_line
    index = status_index(certificate)
    achievement = {
        "id": f"{course}#certificate-of-completion",
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": certificate.course_title,
        "description": f"Completion of the continuing-education course "
        f"{certificate.course_title} ({certificate.delivery_format}).",
        "criteria": {
            "narrative": "Completed the course, passed its post-test and submitted the "
            "course evaluation."
        },
        "creditsAvailable": credits,
        "creator": _profile(),
        "resultDescription": [
            {
                "id": f"{url}#credits",
                "type": ["ResultDescription"],
                "name": certificate.credit_type,
                "resultType": "ext:ContinuingEducationCredits",
            }
        ],
    }
    if certificate.approving_body:
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": f"{certificate.credit_type} approved by {certificate.approving_body}",
                "targetDescription": certificate.approval_statement or credit_name,
                "targetUrl": verify,
                "targetType": "ext:ContinuingEducationApproval",
            }
        ]
    subject = {
        "type": ["AchievementSubject"],
        "name": certificate.holder_display,
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": certificate.holder_name,
            },
            *_license_identity(certificate),
        ],
        "achievement": achievement,
        "activityEndDate": f"{certificate.completed_on.isoformat()}T00:00:00Z",
        "creditsEarned": credits,
        "result": [
            {
                "type": ["Result"],
                "resultDescription": f"{url}#credits",
                "value": f"{certificate.ce_credits.normalize():f}",
            }
        ],
    }
    return {
        "@context": OB_CONTEXT,
        "id": url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Certificate of Completion: {certificate.course_title}",
        "description": credit_name,
        "issuer": _profile(),
        "validFrom": _instant(certificate.issued_at),
        "credentialSubject": subject,
        "evidence": [
            {
                "id": verify,
                "type": ["Evidence"],
                "name": f"Verification page of certificate {certificate.display_code}",
                "narrative": "The provider's public record of this certificate and its "
                "current status.",
            }
        ],
        "credentialStatus": {
            "id": f"{status_list_url()}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_list_url(),
        },
        "credentialSchema": [OB_SCHEMA],
    }


def credential_jwt(certificate: Certificate) -> str:
    credential = achievement_credential(certificate)
    claims = {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": int(certificate.issued_at.timestamp()),
    }
    return _sign(claims)


# --- status list -------------------------------------------------------------------------


def status_bits() -> bytes:
    """Bit i (most significant bit of byte 0 first) set when the certificate whose
    credential has statusListIndex i (credentials.status) is revoked or replaced. As long
    as the range indexes are drawn from, so its length follows no single certificate."""
    entries = StatusListEntry.objects.all()
    withdrawn = list(
        entries.exclude(certificate__status=Certificate.Status.VALID).values_list(
            "index", flat=True
        )
    )
    extent = entries.aggregate(highest=Max("index", default=0), count=Count("pk"))
    size = max(status_list_capacity(extent["count"]), (extent["highest"] // 8 + 1) * 8)
    bits = bytearray(size // 8)
    for index in withdrawn:
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encoded_list(bits: bytes) -> str:
    """GZIP, then base64url without padding, with the multibase prefix "u"."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def status_list_credential() -> dict:
    url = status_list_url()
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": _instant(timezone.now()),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(status_bits()),
        },
    }


def status_list_jwt() -> str:
    credential = status_list_credential()
    claims = {**credential, "iss": credential["issuer"], "jti": credential["id"]}
    claims["nbf"] = int(timezone.now().timestamp())
    return _sign(claims)
