"""Certificates issued before PDFs were signed: `manage.py sign_certificate_pdfs` has the
worker sign their stored PDFs, once, and copies downloaded before still check as ours."""

import io
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from certificates.models import Certificate
from certificates.services import certificate_pdf, certificate_pdf_render
from credentials.models import SignedDocument
from credentials.signing import certificate_pdf_sign_stored, sha256
from tests.credentials.test_signing import validate

pytestmark = pytest.mark.django_db


def stored(certificate: Certificate) -> bytes:
    certificate.refresh_from_db()
    with certificate.pdf.storage.open(certificate.pdf.name, "rb") as handle:
        return handle.read()


@pytest.fixture
def issued_before_signing(certificate):
    """A certificate as one issued before signing existed left it: an unsigned PDF in the
    private store, no signed-document record."""
    SignedDocument.objects.filter(certificate=certificate).delete()
    certificate.pdf.storage.delete(certificate.pdf.name)
    certificate.pdf.save(
        f"{certificate.code}.pdf", ContentFile(certificate_pdf_render(certificate=certificate))
    )
    return certificate


def sign_stored(capture, *args) -> str:
    out = io.StringIO()
    with capture(execute=True):  # the enqueued tasks run when the command's work commits
        call_command("sign_certificate_pdfs", *args, stdout=out)
    return out.getvalue()


def board_check(client, data: bytes):
    upload = SimpleUploadedFile("certificate.pdf", data, "application/pdf")
    response = client.post(reverse("credentials:verify_document"), {"document": upload})
    return response.status_code, " ".join(response.content.decode().split())


def test_the_command_signs_a_stored_pdf_as_the_worker_signs_a_new_one(
    client, issued_before_signing, django_capture_on_commit_callbacks
):
    certificate = issued_before_signing
    unsigned_name = certificate.pdf.name
    unsigned = stored(certificate)
    status, _ = board_check(client, unsigned)
    assert status == HTTPStatus.UNPROCESSABLE_ENTITY  # what a board was told before

    assert "1 stored certificate PDF(s) queued for signing" in sign_stored(
        django_capture_on_commit_callbacks
    )

    signed = stored(certificate)
    assert certificate.pdf.name != unsigned_name
    assert not certificate.pdf.storage.exists(unsigned_name)  # replaced, not left behind
    assert signed.startswith(unsigned)  # an incremental signature over the stored bytes
    _, verdict = validate(signed)
    assert verdict.intact
    assert verdict.valid
    assert verdict.trusted
    assert verdict.coverage.name == "ENTIRE_FILE"
    document = SignedDocument.objects.get(certificate=certificate)
    assert document.sha256 == sha256(signed)
    assert document.unsigned_sha256 == sha256(unsigned)
    assert certificate_pdf(certificate=certificate) == signed  # what downloads serve now

    status, page = board_check(client, signed)
    assert status == HTTPStatus.OK
    assert "VALID" in page
    assert "Signed by Clinician CE Institute (demo, self-signed)." in page
    # A copy the learner downloaded before is still exactly a document we issued.
    status, page = board_check(client, unsigned)
    assert status == HTTPStatus.OK
    assert "VALID" in page
    assert "exactly the document we issued" in page
    assert "downloaded before we signed our certificate PDFs" in page
    assert certificate.display_code in page
    # The verify page shows the signed PDF's fingerprint.
    page = client.get(reverse("certificates:verify", args=[certificate.display_code]))
    assert document.sha256 in page.content.decode()


def test_running_it_again_changes_nothing(
    issued_before_signing, django_capture_on_commit_callbacks
):
    sign_stored(django_capture_on_commit_callbacks)
    certificate = issued_before_signing
    signed = stored(certificate)
    name = certificate.pdf.name
    document = SignedDocument.objects.get(certificate=certificate)

    assert "0 stored certificate PDF(s)" in sign_stored(django_capture_on_commit_callbacks)
    # A task queued twice (the command run twice before the worker got to it) signs once.
    assert certificate_pdf_sign_stored.call(certificate_id=certificate.pk) == "nothing to sign"

    assert stored(certificate) == signed
    assert certificate.pdf.name == name
    assert SignedDocument.objects.get(certificate=certificate) == document
    assert SignedDocument.objects.get(certificate=certificate).sha256 == document.sha256


def test_a_certificate_without_a_stored_pdf_is_left_to_its_render(
    certificate, django_capture_on_commit_callbacks
):
    # Its render is queued or failing: certificate_pdf_store signs it when it renders.
    Certificate.objects.filter(pk=certificate.pk).update(pdf="")
    SignedDocument.objects.filter(certificate=certificate).delete()

    assert "0 stored certificate PDF(s)" in sign_stored(django_capture_on_commit_callbacks)
    assert certificate_pdf_sign_stored.call(certificate_id=certificate.pk) == "nothing to sign"
    assert not SignedDocument.objects.filter(certificate=certificate).exists()


def test_a_dry_run_counts_and_changes_nothing(
    issued_before_signing, django_capture_on_commit_callbacks
):
    unsigned = stored(issued_before_signing)
    out = sign_stored(django_capture_on_commit_callbacks, "--dry-run")
    assert "1 stored certificate PDF(s) are not signed" in out
    assert stored(issued_before_signing) == unsigned
    assert not SignedDocument.objects.filter(certificate=issued_before_signing).exists()


def test_now_signs_in_this_process(issued_before_signing):
    out = io.StringIO()
    call_command("sign_certificate_pdfs", "--now", stdout=out)
    assert "1 stored certificate PDF(s) signed" in out.getvalue()
    document = SignedDocument.objects.get(certificate=issued_before_signing)
    assert document.sha256 == sha256(stored(issued_before_signing))
