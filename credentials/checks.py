"""What a board can check without a code: a PDF in its hands (is it exactly a document we
issued, a course certificate or a program credential, and what is its status now) and a
CSV of up to 500 codes."""

import csv
import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from pyhanko.pdf_utils.reader import PdfFileReader

from certificates import codes
from certificates.models import Certificate
from programs.models import ProgramCredential

from . import keys
from .models import SignedDocument
from .signing import sha256

logger = logging.getLogger(__name__)


class BadUpload(Exception):
    """An upload we cannot answer about, with the message for the person and the status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


ISSUED = "issued"  # exactly a document we issued
ALTERED = "altered"  # carries our signature, but is not the document we issued
NOT_OURS = "not_ours"  # no signature of ours


@dataclass(frozen=True)
class DocumentAnswer:
    verdict: str
    certificate: Certificate | None = None
    signer: str = ""
    # A program credential's PDF (a Certificate of Advanced Study) instead of a course's.
    program_credential: ProgramCredential | None = None
    # Exactly the unsigned PDF we served before certificates were signed.
    before_signing: bool = False

    @classmethod
    def of(
        cls, verdict: str, document: SignedDocument | None, signer: str, **more
    ) -> "DocumentAnswer":
        return cls(
            verdict,
            certificate=document.certificate if document else None,
            signer=signer,
            program_credential=document.program_credential if document else None,
            **more,
        )


def upload_bytes(upload, *, limit: int) -> bytes:
    if upload is None:
        raise BadUpload("Choose a file to upload.")
    if upload.size > limit:
        raise BadUpload(f"The file is larger than {limit / 1_000_000:g} MB.", status=413)
    data = upload.read()
    if not data:
        raise BadUpload("The file is empty.")
    return data


def _our_signer_certificates() -> set[str]:
    """SHA-256 of every certificate that has signed a PDF of ours (rotations included;
    read from the records, so a web host needs no PDF key to answer)."""
    return set(SignedDocument.objects.values_list("signer_cert_sha256", flat=True).distinct())


def document_check(data: bytes) -> DocumentAnswer:
    """Exactly one of ours (its fingerprint is on record), altered (our signature, other
    bytes: when only appended to, the original is named), or not ours. Raises BadUpload
    for what is not a readable PDF and for a signature by someone else."""
    if b"%PDF-" not in data[:1024]:
        raise BadUpload("This file is not a PDF. Upload the certificate PDF itself.", 415)
    found = SignedDocument.objects.select_related("certificate__replaced_by", "program_credential")
    fingerprint = sha256(data)
    document = found.filter(Q(sha256=fingerprint) | Q(unsigned_sha256=fingerprint)).first()
    if document is not None:
        before = document.sha256 != fingerprint
        return DocumentAnswer.of(ISSUED, document, document.signer, before_signing=before)
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        signed = [(signature, signature.signer_cert) for signature in signatures]
    except Exception:  # a damaged or hostile file: pyHanko raises many kinds of error
        logger.info("Document check: unreadable PDF", exc_info=True)
        raise BadUpload("This PDF cannot be read; it may be damaged.") from None
    if not signed:
        return DocumentAnswer(NOT_OURS)
    ours = _our_signer_certificates()
    mine = [(s, cert) for s, cert in signed if cert.sha256.hex() in ours]
    if not mine:
        names = "; ".join(keys.subject_name(cert) for _, cert in signed)
        raise BadUpload(
            f"This PDF is signed by someone else ({names}), not by {settings.SITE_NAME}: it "
            "is not a document we issued.",
            status=422,
        )
    signature, cert = mine[0]
    # Edits saved as an update keep the signed original intact in front of them.
    try:
        _, _, start, length = signature.byte_range
        original = found.filter(sha256=sha256(data[: start + length])).first()
    except (TypeError, ValueError):
        original = None
    return DocumentAnswer.of(ALTERED, original, keys.subject_name(cert))


# --- bulk check --------------------------------------------------------------------------

BULK_COLUMNS = [
    "code", "status", "holder", "course", "ce_credits", "credit_type", "completed_on",
    "replaced_by",
]  # fmt: skip


def codes_from_csv(data: bytes) -> list[str]:
    """The first cell of each non-empty row; a header row that is no code is skipped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadUpload("The file is not a UTF-8 text (CSV) file.", 415) from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    except csv.Error:
        raise BadUpload("The file is not a readable CSV file.") from None
    typed = [row[0].strip() for row in rows]
    if typed and codes.normalize(typed[0]) is None and typed[0].lower().startswith("code"):
        typed = typed[1:]
    if not typed:
        raise BadUpload("The file lists no codes: put one code per line.")
    limit = settings.CREDENTIAL_BULK_MAX_CODES
    if len(typed) > limit:
        raise BadUpload(f"The file lists {len(typed)} codes; check at most {limit} at a time.")
    return typed


def bulk_rows(typed: list[str]) -> list[list[str]]:
    """One row per code as typed: what the verification page shows, no more (no license
    numbers, no reasons beyond the status)."""
    wanted = {code: codes.normalize(code) for code in typed}
    found = {
        c.code: c
        for c in Certificate.objects.select_related("replaced_by").filter(
            code__in={code for code in wanted.values() if code}
        )
    }
    rows = []
    for code in typed:
        certificate = found.get(wanted[code] or "")
        if certificate is None:
            rows.append([code, "not found" if wanted[code] else "not a code", *[""] * 6])
            continue
        replaced = certificate.replaced_by
        rows.append(
            [certificate.display_code, certificate.status, certificate.holder_display,
             certificate.course_title, f"{certificate.ce_credits.normalize():f}",
             certificate.credit_type,
             certificate.completed_on.isoformat(), replaced.display_code if replaced else ""]
        )  # fmt: skip
    return rows
