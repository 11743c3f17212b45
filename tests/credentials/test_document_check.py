"""The document check on /verify/: a board uploads a PDF and learns whether it is exactly
a document we issued and that certificate's status; bad uploads get a clear 4xx."""

import datetime
import io
from http import HTTPStatus

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from certificates import states
from certificates.services import certificate_pdf, render_pdf
from tests.certificates.test_certificates import a_fresh_minute

pytestmark = pytest.mark.django_db

URL = reverse("credentials:verify_document")


def upload(client, data: bytes, name: str = "certificate.pdf"):
    return client.post(URL, {"document": SimpleUploadedFile(name, data, "application/pdf")})


def text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_verify_page_and_json_show_the_fingerprint_of_the_signed_pdf(client, certificate):
    fingerprint = certificate.signed_document.sha256
    page = client.get(reverse("certificates:verify", args=[certificate.display_code]))
    assert fingerprint in page.content.decode()
    facts = client.get(reverse("certificates:verify_json", args=[certificate.display_code]))
    assert facts.json()["document_sha256"] == fingerprint


def test_the_pdf_we_issued_is_recognised_as_valid(
    client, certificate, django_assert_max_num_queries
):
    data = certificate_pdf(certificate=certificate)
    # 11 of them count the lookup in the database cache (one Redis call in production).
    with django_assert_max_num_queries(13):
        response = upload(client, data)
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert "VALID" in page
    assert "exactly the document we issued" in page
    assert certificate.display_code in page
    assert certificate.holder_name in page
    assert "Signed by Clinician CE Institute (demo, self-signed)." in page


def test_a_revoked_certificates_pdf_says_revoked_with_the_reason(client, certificate):
    data = certificate_pdf(certificate=certificate)
    states.certificate_revoke(
        certificate=certificate, public_reason="issued_in_error", note="Wrong course"
    )
    page = text(upload(client, data))
    assert "REVOKED" in page
    assert "exactly the document we issued" in page
    assert "Issued in error" in page
    assert "Wrong course" not in page  # the internal note stays inside


def test_a_reissued_certificates_pdf_links_the_new_one(client, certificate):
    data = certificate_pdf(certificate=certificate)
    new = states.certificate_reissue(certificate=certificate, note="Name spelling")
    page = text(upload(client, data))
    assert "REISSUED" in page
    assert new.get_absolute_url() in page


def one_byte_edited(data: bytes) -> bytes:
    edited = bytearray(data)
    position = len(data) // 3  # inside the rendered page, which the signature covers
    edited[position] = (edited[position] + 1) % 256
    return bytes(edited)


def saved_as_update(data: bytes) -> bytes:
    """`data` with an edit saved the way PDF editors save: appended as an update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")  # any saved change
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue() != data
    assert out.getvalue().startswith(data)
    return out.getvalue()


def assert_altered(response) -> None:
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert "ALTERED" in page
    assert "not the document we issued" in page
    assert "VALID" not in page.replace("NOT", "")


def test_one_edited_byte_makes_it_altered(client, certificate):
    assert_altered(upload(client, one_byte_edited(certificate_pdf(certificate=certificate))))


def test_an_edit_saved_as_an_update_is_altered_and_names_the_original(client, certificate):
    edited = saved_as_update(certificate_pdf(certificate=certificate))
    page = text(upload(client, edited))
    assert "ALTERED" in page
    assert certificate.get_absolute_url() in page


def test_an_unsigned_pdf_is_not_ours(client, certificate):
    data = render_pdf("<html lang=en><p>Certificate</p></html>", title="x", author="y")
    response = upload(client, data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "NOT ISSUED BY US" in text(response)


def foreign_signed(data: bytes) -> bytes:
    """`data` signed by a stranger's self-signed certificate: a signature that validates
    on its own terms, just not ours."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Diploma Mill Ltd")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    signer = signers.SimpleSigner(
        signing_cert=next(
            load_certs_from_pemder_data(cert.public_bytes(serialization.Encoding.PEM))
        ),
        signing_key=load_private_key_from_pemder_data(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            None,
        ),
        cert_registry=SimpleCertificateStore(),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Forged")
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


def test_a_pdf_with_a_foreign_signature_is_refused_with_a_clear_message(client, certificate):
    data = render_pdf("<html lang=en><p>Certificate</p></html>", title="x", author="y")
    response = upload(client, foreign_signed(data))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = text(response)
    assert "signed by someone else" in page
    assert "Diploma Mill Ltd" in page


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", HTTPStatus.BAD_REQUEST, "The file is empty."),
        (b"PK\x03\x04 a zip file", HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "This file is not a PDF"),
        (b"%PDF-1.7\n garbage \x00\xff" * 50, HTTPStatus.BAD_REQUEST, "cannot be read"),
    ],
)
def test_bad_uploads_get_a_clear_4xx(client, db, data, status, message):
    response = upload(client, data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_no_file_at_all_is_a_400(client, db):
    response = client.post(URL, {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose a file" in response.content.decode()


def test_a_huge_file_is_refused_before_it_is_read(client, db, settings):
    settings.CREDENTIAL_UPLOAD_MAX_BYTES = 1_000_000
    response = upload(client, b"%PDF-1.7\n" + b"0" * 1_000_001)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "larger than 1 MB" in response.content.decode()


def test_document_checks_share_the_lookup_budget(client, certificate, settings):
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 2
    data = certificate_pdf(certificate=certificate)
    a_fresh_minute()
    assert [upload(client, data).status_code for _ in range(3)] == [200, 200, 429]
    assert upload(Client(REMOTE_ADDR="10.9.8.7"), data).status_code == HTTPStatus.OK


def test_get_is_not_allowed(client, db):
    assert client.get(URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_huge_body_is_refused_from_its_declared_length_before_it_is_parsed(client, db, settings):
    settings.CREDENTIAL_UPLOAD_MAX_BYTES = 1_000_000
    # A declared length far beyond the limit, and a body that would not even parse.
    response = client.generic(
        "POST", URL, b"x" * 10, content_type="multipart/form-data; boundary=zzz",
        CONTENT_LENGTH="2000000000",
    )  # fmt: skip
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "larger than 1 MB" in response.content.decode()


def test_the_upload_still_needs_the_csrf_token(db, certificate):
    strict = Client(enforce_csrf_checks=True)
    data = certificate_pdf(certificate=certificate)
    response = upload(strict, data)
    assert response.status_code == HTTPStatus.FORBIDDEN
