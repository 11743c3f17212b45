"""Signing a certificate or program credential PDF (PAdES B-B, pyHanko) and recording its
fingerprint; run by the worker inside certificates.services.certificate_pdf_store and
programs.credentials.credential_pdf_store, right after the render (settings name them)."""

import asyncio
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.tasks import task
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from background.retries import retried
from certificates import codes
from certificates.models import Certificate
from programs.models import ProgramCredential

from . import keys
from .models import SignedDocument

FIELD_NAME = "CertificateSignature"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pdf_sign(data: bytes, *, reason: str) -> bytes:
    """`data` with an invisible PAdES signature by the provider's key (an incremental
    update: the rendered document is unchanged inside it)."""
    material = keys.pdf_signing()
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=settings.SITE_URL,
        name=settings.SITE_NAME,
    )
    return run_outside_event_loop(signers.sign_pdf, writer, meta, signer=material.signer).getvalue()


def run_outside_event_loop(function, *args, **kwargs):
    """pyHanko's synchronous API calls asyncio.run(), which refuses to run in a thread
    whose event loop is running (an async server, a browser-test harness): there, call it
    from a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _sign_and_record(data: bytes, *, reason: str, unsigned_sha256: str = "", **owner) -> bytes:
    """Sign `data` and record what was signed for `owner` (certificate= or
    program_credential=). Called once per document, in the transaction that stores it."""
    material = keys.pdf_signing()
    signed = pdf_sign(data, reason=reason)
    SignedDocument.objects.update_or_create(
        **owner,
        defaults={
            "sha256": sha256(signed),
            "signer": material.signer_name[:300],
            "signer_cert_sha256": material.certificate.sha256.hex(),
            "self_signed_demo": material.self_signed_demo,
            "unsigned_sha256": unsigned_sha256,
        },
    )
    return signed


def certificate_pdf_sign(
    *, certificate: Certificate, data: bytes, unsigned_sha256: str = ""
) -> bytes:
    """Sign the rendered certificate and record what was signed (settings:
    CERTIFICATE_PDF_SIGNER)."""
    reason = f"Certificate of Completion {certificate.display_code}, by {settings.SITE_NAME}"
    return _sign_and_record(
        data, reason=reason, unsigned_sha256=unsigned_sha256, certificate=certificate
    )


def program_credential_pdf_sign(*, credential: ProgramCredential, data: bytes) -> bytes:
    """Sign a rendered program credential (a Certificate of Advanced Study) and record
    what was signed (settings: PROGRAM_CREDENTIAL_PDF_SIGNER)."""
    reason = f"{credential.credential_name} {credential.display_code}, by {settings.SITE_NAME}"
    return _sign_and_record(data, reason=reason, program_credential=credential)


# --- certificates issued before PDFs were signed -----------------------------------------


def _about_certificate(*, certificate_id: int) -> str:
    code = Certificate.objects.filter(pk=certificate_id).values_list("code", flat=True).first()
    name = codes.display(code) if code else f"#{certificate_id} (gone)"
    return f"the stored PDF of certificate {name}"


@retried(about=_about_certificate)
@task
def certificate_pdf_sign_stored(*, certificate_id: int) -> str:
    """Sign the PDF stored for a certificate issued before PDFs were signed, as the worker
    signs a new one: an incremental signature over the stored bytes (what the learner
    downloaded stays inside the signed file), its fingerprint recorded with the unsigned
    one's (copies downloaded before still check as ours), stored back. Does nothing for a
    certificate that has no stored PDF (its render signs it) or is signed already."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        if not certificate.pdf or SignedDocument.objects.filter(certificate=certificate).exists():
            return "nothing to sign"
        storage = certificate.pdf.storage
        unsigned_name = certificate.pdf.name
        with storage.open(unsigned_name, "rb") as handle:
            data = handle.read()
        signed = certificate_pdf_sign(
            certificate=certificate, data=data, unsigned_sha256=sha256(data)
        )
        # A new name: the unsigned file stays until the record names the signed one.
        signed_name = storage.save(
            f"certificates/{certificate.code}-signed.pdf", ContentFile(signed)
        )
        Certificate.objects.filter(pk=certificate.pk).update(pdf=signed_name)
        if signed_name != unsigned_name:
            transaction.on_commit(lambda: storage.delete(unsigned_name))
    return signed_name
