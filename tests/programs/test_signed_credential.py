"""A program credential is as trustworthy as a course certificate: its PDF is signed
(PAdES) by the worker, its fingerprint recorded and shown, the document check on /verify/
recognises it (valid, revoked, altered), and it prints the sponsor's logo and signature
as they were when it was issued."""

import io
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags
from pypdf import PdfReader

from credentials import keys
from credentials.models import SignedDocument
from credentials.signing import sha256
from programs import credentials
from tests.certificates.test_certificates import a_fresh_minute, png
from tests.credentials.test_document_check import (
    assert_altered,
    one_byte_edited,
    saved_as_update,
    upload,
)
from tests.credentials.test_signing import assert_signed_by_us, validate
from tests.perf.conftest import production_caches  # noqa: F401

from .conftest import courses_of

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's words, without tags."""
    return " ".join(strip_tags(response.content.decode()).split())


def stored(credential) -> bytes:
    credential.refresh_from_db()
    with credential.pdf.open("rb") as handle:
        return handle.read()


def test_the_credential_pdf_carries_a_valid_pades_signature_by_the_provider(earned):
    credential, _ = earned
    signature = assert_signed_by_us(stored(credential))
    assert credential.display_code in str(signature["/Reason"])


def test_the_fingerprint_of_the_stored_credential_pdf_is_recorded(earned):
    credential, _ = earned
    document = SignedDocument.objects.get(program_credential=credential)
    assert document.certificate is None
    assert document.document == credential
    assert document.sha256 == sha256(stored(credential))
    assert document.signer_cert_sha256 == keys.pdf_signing().certificate.sha256.hex()
    assert document.self_signed_demo


def test_a_signed_document_belongs_to_exactly_one_document(earned):
    credential, certificates = earned
    with pytest.raises(IntegrityError):
        SignedDocument.objects.create(
            certificate=certificates[0], program_credential=credential, sha256="0" * 64
        )


def test_editing_one_byte_breaks_the_credentials_signature(earned):
    credential, _ = earned
    data = bytearray(stored(credential))
    embedded, _ = validate(bytes(data))
    _, first_length, _, _ = embedded.byte_range
    data[first_length // 2] = (data[first_length // 2] + 1) % 256
    _, status = validate(bytes(data))
    assert not status.intact


def test_the_verify_page_and_json_show_the_credentials_fingerprint(client, earned):
    credential, _ = earned
    fingerprint = SignedDocument.objects.get(program_credential=credential).sha256
    page = client.get(reverse("programs:verify", args=[credential.display_code]))
    assert fingerprint in page.content.decode()
    assert "signed with a self-signed demo key" in page.content.decode()
    facts = client.get(reverse("programs:verify_json", args=[credential.display_code])).json()
    assert facts["document_sha256"] == fingerprint


def test_the_document_check_recognises_the_credential_pdf_as_valid(
    client, earned, django_assert_max_num_queries
):
    credential, _ = earned
    data = stored(credential)
    # As for a course certificate's PDF (11 of them count the lookup in the cache table).
    with django_assert_max_num_queries(13):
        response = upload(client, data, "program-certificate.pdf")
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert "VALID" in page
    assert "exactly the document we issued" in page
    assert f"Certificate of Advanced Study {credential.display_code}" in page
    assert credential.holder_name in page
    assert credential.program_title in page
    assert credential.get_absolute_url() in response.content.decode()
    assert "Signed by Clinician CE Institute (demo, self-signed)." in page


def test_a_revoked_credentials_pdf_says_revoked_with_the_public_reason(client, earned):
    credential, _ = earned
    data = stored(credential)
    credentials.credential_revoke(
        credential=credential, public_reason="issued_in_error", note="Entered by mistake"
    )
    response = upload(client, data)
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert "REVOKED" in page
    assert "exactly the document we issued" in page
    assert "Issued in error" in page
    assert "Entered by mistake" not in page  # the internal note stays inside


def test_one_edited_byte_makes_the_credential_pdf_altered(client, earned):
    credential, _ = earned
    assert_altered(upload(client, one_byte_edited(stored(credential))))


def test_an_edit_saved_as_an_update_is_altered_and_names_the_original_credential(client, earned):
    credential, _ = earned
    response = upload(client, saved_as_update(stored(credential)))
    page = text(response)
    assert "ALTERED" in page
    assert f"Certificate of Advanced Study {credential.display_code} (valid)" in page
    assert credential.get_absolute_url() in response.content.decode()


def test_the_pdf_prints_the_logo_and_signature_of_its_issue_day(
    policies, program, learner, complete
):
    policies.certificate_logo.save("logo.png", ContentFile(png(120, 40)))
    policies.certificate_signature.save("signature.png", ContentFile(png(90, 30)))
    for course in courses_of(program)[:3]:
        complete(learner, course)
    credential = program.credentials.get()
    assert credential.logo.name == policies.certificate_logo.name
    assert credential.signature.name == policies.certificate_signature.name
    # The director uploads a new logo later: the issued credential does not change.
    policies.certificate_logo.save("logo.png", ContentFile(png(300, 300)))
    assert credential.logo.name != policies.certificate_logo.name
    for data in (stored(credential), credentials.credential_pdf_render(credential=credential)):
        [page] = PdfReader(io.BytesIO(data)).pages
        sizes = sorted(image.image.size for image in page.images)
        assert sizes == [(90, 30), (120, 40)]


def test_without_a_logo_or_signature_the_pdf_has_no_image(earned):
    credential, _ = earned
    assert not credential.logo
    [page] = PdfReader(io.BytesIO(stored(credential))).pages
    assert list(page.images) == []


def test_program_verification_shares_the_lookup_budget_of_certificates(client, earned, settings):
    """Through certificates.verification: one budget per client for every lookup."""
    credential, [certificate, *_] = earned
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 3
    a_fresh_minute()
    course_page = reverse("certificates:verify", args=[certificate.display_code])
    program_page = reverse("programs:verify", args=[credential.display_code])
    program_json = reverse("programs:verify_json", args=[credential.display_code])
    statuses = [client.get(path).status_code for path in (course_page, program_page, program_json)]
    assert statuses == [200, 200, 200]
    refused = client.get(program_page)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "60"
    assert b"Too many lookups" in refused.content
    assert client.get(program_json).json() == {"error": "too many requests"}
    other = Client(REMOTE_ADDR="10.9.8.7").get(program_page)
    assert other.status_code == HTTPStatus.OK
    assert other["X-Robots-Tag"] == "noindex, nofollow"


def test_the_director_sees_the_signed_credential_pdf_in_admin(
    client, director, earned, django_assert_max_num_queries
):
    credential, _ = earned
    client.force_login(director)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:credentials_signeddocument_changelist"))
    assert page.status_code == HTTPStatus.OK
    assert credential.signed_document.sha256 in page.content.decode()
    assert str(credential) in page.content.decode()
    found = client.get(
        reverse("admin:credentials_signeddocument_changelist"), {"q": credential.code}
    )
    assert "1 signed PDF" in found.content.decode()


@pytest.mark.usefixtures("production_caches")
def test_program_verification_takes_as_few_queries_as_a_certificates(
    client, earned, django_assert_max_num_queries
):
    """The page (with the fingerprint) and its JSON in one query each: the credential with
    its signed PDF record; the lookup limiter counts in the cache (Redis in production)."""
    credential, _ = earned
    for url in [
        reverse("programs:verify", args=[credential.display_code]),
        reverse("programs:verify_json", args=[credential.display_code]),
    ]:
        with django_assert_max_num_queries(1):
            response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        assert credential.signed_document.sha256 in response.content.decode()
