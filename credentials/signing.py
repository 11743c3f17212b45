"""Signing a certificate PDF (PAdES B-B, pyHanko) and recording its fingerprint; run by
the worker inside certificates.services.certificate_pdf_store, right after the render."""

import hashlib
import io

from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from certificates.models import Certificate

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
    return signers.sign_pdf(writer, meta, signer=material.signer).getvalue()


def certificate_pdf_sign(*, certificate: Certificate, data: bytes) -> bytes:
    """Sign the rendered certificate and record what was signed. Called once per
    certificate, in the transaction that stores its PDF."""
    material = keys.pdf_signing()
    reason = f"Certificate of Completion {certificate.display_code}, by {settings.SITE_NAME}"
    signed = pdf_sign(data, reason=reason)
    SignedDocument.objects.update_or_create(
        certificate=certificate,
        defaults={
            "sha256": sha256(signed),
            "signer": material.signer_name[:300],
            "signer_cert_sha256": material.certificate.sha256.hex(),
            "self_signed_demo": material.self_signed_demo,
        },
    )
    return signed
