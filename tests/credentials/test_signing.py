"""Certificate PDFs are signed (PAdES) by the worker when issued, and the signature is
checked with pyHanko's own validation API against the provider's certificate."""

import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from certificates.services import certificate_pdf
from credentials import keys
from credentials.models import SignedDocument
from credentials.signing import run_outside_event_loop, sha256

pytestmark = pytest.mark.django_db


def validate(data: bytes):
    """pyHanko's verdict on the document's one signature, trusting only our certificate."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    [embedded] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[keys.pdf_signing().certificate])
    return embedded, run_outside_event_loop(
        validate_pdf_signature, embedded, signer_validation_context=context
    )


def assert_signed_by_us(data: bytes):
    """One intact, valid, trusted PAdES signature by our key over the whole file; the
    signature's dictionary is returned for further checks."""
    embedded, status = validate(data)
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.bottom_line
    assert status.signing_cert.subject == keys.pdf_signing().certificate.subject
    assert "(demo, self-signed)" in status.signing_cert.subject.human_friendly
    return embedded.sig_object


def test_the_stored_pdf_carries_a_valid_pades_signature_by_the_provider(certificate):
    assert_signed_by_us(certificate_pdf(certificate=certificate))


def test_the_fingerprint_of_the_stored_bytes_is_recorded(certificate):
    data = certificate_pdf(certificate=certificate)
    document = SignedDocument.objects.get(certificate=certificate)
    assert document.sha256 == sha256(data)
    assert document.self_signed_demo
    assert document.signer_cert_sha256 == keys.pdf_signing().certificate.sha256.hex()


def test_editing_one_byte_breaks_the_signature(certificate):
    data = bytearray(certificate_pdf(certificate=certificate))
    # A byte of the signed content (the rendered page), not of the signature itself.
    embedded, _ = validate(bytes(data))
    _, first_length, _, _ = embedded.byte_range
    position = first_length // 2
    data[position] = (data[position] + 1) % 256
    _, status = validate(bytes(data))
    assert not status.intact
    assert not status.bottom_line


def test_signing_happens_once_in_the_worker_task(certificate):
    before = SignedDocument.objects.get(certificate=certificate).sha256
    certificate_pdf(certificate=certificate)  # already stored: served, never re-signed
    assert SignedDocument.objects.get(certificate=certificate).sha256 == before


def test_the_director_sees_what_was_signed_read_only(
    client, director, certificate, django_assert_max_num_queries
):
    client.force_login(director)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:credentials_signeddocument_changelist"))
    assert page.status_code == HTTPStatus.OK
    assert certificate.signed_document.sha256 in page.content.decode()
    document = certificate.signed_document
    change = client.get(reverse("admin:credentials_signeddocument_change", args=[document.pk]))
    assert change.status_code == HTTPStatus.OK
    assert b'name="sha256"' not in change.content  # nothing to edit


def test_the_verify_page_says_a_demo_key_signed_it(client, certificate):
    page = client.get(reverse("certificates:verify", args=[certificate.display_code]))
    assert "signed with a self-signed demo key" in page.content.decode()
