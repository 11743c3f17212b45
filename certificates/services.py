"""Issuing certificates (after the learner confirms), rendering and verifying them.

Revoking, reinstating and reissuing are status moves: see states.py.
"""

import base64
import functools
import io
import logging
import mimetypes
import ssl
import threading
import time

import segno
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from background.retries import retried
from courses.models import ProgramPolicies
from enrollment.models import Enrollment
from records.events import event_log
from records.models import Actor
from records.transitions import status_start
from testing.models import EvaluationResponse
from testing.services import passed_attempt

from . import codes, hooks, notifications
from .facts import Holder, course_facts_now, printed_fields
from .models import Certificate

logger = logging.getLogger(__name__)


def verification_url(certificate: Certificate) -> str:
    return f"{settings.SITE_URL}{certificate.get_absolute_url()}"


def issue_blockers(*, enrollment: Enrollment) -> list[str]:
    """What still stands between the learner and the certificate, before the holder's
    details (see facts.Holder.problems); empty when none."""
    blockers = []
    if not enrollment.is_active:
        blockers.append("the enrollment is not active")
    if passed_attempt(enrollment) is None:
        blockers.append("pass the post-test")
    if not EvaluationResponse.objects.filter(enrollment=enrollment).exists():
        blockers.append("submit the course evaluation")
    return blockers


def completion_date(enrollment: Enrollment):
    passed = passed_attempt(enrollment)
    return timezone.localdate(passed.submitted_at) if passed else timezone.localdate()


def certificate_preview(*, enrollment: Enrollment) -> dict:
    """What the first certificate would print now: the holder's details from the
    account and the course as it stands (the confirmation page shows it)."""
    policies = ProgramPolicies.current()
    facts = course_facts_now(
        course=enrollment.course,
        completed_on=completion_date(enrollment),
        sponsor_name=policies.sponsor_name if policies else settings.SITE_NAME,
    )
    return printed_fields(facts, Holder.of(enrollment.user))


def sponsor_images() -> dict:
    """The sponsor's logo and signature as they are now: the names of their stored files.
    A stored file is never overwritten (a new upload gets a new name), so the names are a
    snapshot and every later render of the certificate shows the same images."""
    policies = ProgramPolicies.current()
    return {
        "logo": policies.certificate_logo.name if policies else "",
        "signature": policies.certificate_signature.name if policies else "",
    }


def certificate_issue(
    *, enrollment: Enrollment, confirmed_fingerprint: str, actor_user=None
) -> Certificate:
    """Issue the first certificate once the learner has confirmed the details shown.

    `confirmed_fingerprint` is the Holder.fingerprint of the details the learner saw: if
    the account changed since (another tab), nothing is issued and they look again.
    Idempotent, also when concurrent (one valid certificate per enrollment). Raises
    ValidationError with a message fit for the learner.
    """
    existing = enrollment.certificates.filter(status=Certificate.Status.VALID).first()
    if existing is not None:
        return existing
    if enrollment.certificates.exists():
        raise ValidationError(
            "This course's certificate was revoked; only the Director can reinstate it."
        )
    blockers = issue_blockers(enrollment=enrollment)
    if blockers:
        raise ValidationError(f"First {', '.join(blockers)}.")
    holder = Holder.of(enrollment.user)
    problems = holder.problems()
    if problems:
        raise ValidationError(f"Add {', '.join(problems)} in your account.")
    if confirmed_fingerprint != holder.fingerprint:
        raise ValidationError(
            "Your certificate details changed since this page was shown. Check them again "
            "and confirm."
        )
    fields = certificate_preview(enrollment=enrollment)
    approval_id = fields.pop("approval_id")
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                enrollment=enrollment,
                approval_id=approval_id,
                holder_confirmed_at=timezone.now(),
                **fields,
                **sponsor_images(),
            )
            certificate_pdf_store.enqueue(certificate_id=certificate.pk)
            notifications.certificate_issued_send.enqueue(certificate_id=certificate.pk)
            status_start(
                certificate,
                actor=Actor.LEARNER,
                actor_user=actor_user or enrollment.user,
                note="Issued after the learner confirmed the details printed.",
            )
            hooks.certificate_issued_extras(certificate)
    except IntegrityError:  # another request issued it first
        return enrollment.certificates.get(status=Certificate.Status.VALID)
    event_log(
        "certificate.issued",
        code=certificate.display_code,
        enrollment=enrollment.pk,
        order_id=enrollment.order_id,
    )
    return certificate


# --- PDF -------------------------------------------------------------------------------


FONTS_URI = (settings.BASE_DIR / "static" / "fonts").as_uri()


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def image_data_uri(stored) -> str:
    """An image from storage (any host, any backend) inlined for WeasyPrint."""
    if not stored:
        return ""
    with stored.open("rb") as handle:
        data = handle.read()
    kind = mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def certificate_html(certificate: Certificate) -> str:
    url = verification_url(certificate)
    return render_to_string(
        "certificates/pdf.html",
        {
            "certificate": certificate,
            "verification_url": url,
            "qr": qr_svg(url),
            "logo": image_data_uri(certificate.logo),
            "signature": image_data_uri(certificate.signature),
            "policies": ProgramPolicies.current(),
            "fonts": FONTS_URI,
            "SITE_NAME": settings.SITE_NAME,
        },
    )


# Tagged PDF/UA-1 (ISO 14289): a structure tree in reading order, the language from the
# page's <html lang>, the title shown in the viewer's title bar. WeasyPrint 70 names the
# variant "pdf/ua-1" (`weasyprint --pdf-variant`), and it implies tagging.
PDF_VARIANT = "pdf/ua-1"


# What WeasyPrint would otherwise build afresh for every document, kept per thread (the
# worker renders one certificate after another; fontconfig and pango are not thread-safe):
# - the font configuration: loading fontconfig's system fonts and each @font-face file took
#   ~15 ms a render; a face already added is skipped (WeasyPrint keys it by its rule);
# - the URL fetcher's HTTPS context (~22 ms a render to load the system CA store), though a
#   render only reads file: fonts and data: images;
# - the parsed stylesheet of the page's <style> (~5 ms a render), the same text for every
#   certificate (it names nothing but the fonts), see _styles_apart.
_renderers = threading.local()
STYLESHEETS_KEPT = 8


def _font_config() -> FontConfiguration:
    if getattr(_renderers, "font_config", None) is None:
        _renderers.font_config = FontConfiguration()
    return _renderers.font_config


@functools.cache
def _https_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _url_fetcher() -> URLFetcher:
    return URLFetcher(ssl_context=_https_context())


def _styles_apart(html: str) -> tuple[str, list[CSS]]:
    """The page without its <style> element, and that stylesheet parsed (once per thread
    for the same text). Only for a page whose one stylesheet is that element, and without
    `!important`: WeasyPrint applies a separate stylesheet with the user's precedence, the
    same as the author's when nothing else styles the page. Any other page is left whole."""
    before, found, rest = html.partition("<style>")
    text, closed, after = rest.partition("</style>")
    if (
        not (found and closed)
        or "<style" in after
        or "<link" in html
        or " style=" in html
        or "!important" in text
    ):
        return html, []
    sheets = _renderers.__dict__.setdefault("stylesheets", {})
    sheet = sheets.get(text)
    if sheet is None:
        if len(sheets) >= STYLESHEETS_KEPT:
            sheets.clear()
        sheet = sheets[text] = CSS(
            string=text,
            base_url=str(settings.BASE_DIR),
            url_fetcher=_url_fetcher(),
            font_config=_font_config(),
        )
    return before + after, [sheet]


def render_pdf(html: str, *, title: str, author: str) -> bytes:
    page, stylesheets = _styles_apart(html)
    document = HTML(
        string=page, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()
    ).render(font_config=_font_config(), stylesheets=stylesheets, pdf_variant=PDF_VARIANT)
    document.metadata.title = title
    document.metadata.authors = [author]
    out = io.BytesIO()
    document.write_pdf(out, pdf_variant=PDF_VARIANT)
    return out.getvalue()


def certificate_pdf_render(*, certificate: Certificate) -> bytes:
    """The certificate as a PDF, from its own snapshot (images included)."""
    return render_pdf(
        certificate_html(certificate),
        title=f"Certificate of Completion: {certificate.course_title}",
        author=certificate.sponsor_name,
    )


def _about_certificate(*, certificate_id: int) -> str:
    code = Certificate.objects.filter(pk=certificate_id).values_list("code", flat=True).first()
    return f"certificate {codes.display(code) if code else f'#{certificate_id} (gone)'}"


@retried(about=_about_certificate)
@task
def certificate_pdf_store(*, certificate_id: int) -> str:
    """Render the PDF, sign it and store it in the private store, once; from then on it
    is only served. Enqueued at issue, so that a learner's download never waits for a render."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        if certificate.pdf:
            return certificate.pdf.name
        data = certificate_pdf_render(certificate=certificate)
        # Signed (PAdES) and fingerprinted before it is stored: the stored bytes are the
        # document we issued, and the verification page's document check matches them.
        # The signer lives in the credentials app, above this one (settings name it).
        data = import_string(settings.CERTIFICATE_PDF_SIGNER)(certificate=certificate, data=data)
        certificate.pdf.save(f"{certificate.code}.pdf", ContentFile(data), save=False)
        Certificate.objects.filter(pk=certificate.pk).update(pdf=certificate.pdf.name)
    return certificate.pdf.name


def certificate_pdf_request(*, certificate: Certificate) -> None:
    """Someone wants a PDF that is not stored yet (its render is queued or failing, or it
    was issued before PDFs were made at issue): queue a render, one every few minutes."""
    if caches["default"].add(f"certificate-pdf-requested:{certificate.pk}", 1, timeout=300):
        certificate_pdf_store.enqueue(certificate_id=certificate.pk)


def certificate_pdf(*, certificate: Certificate) -> bytes:
    """The stored PDF's bytes, stored first if the worker has not done it yet (exports,
    tests). The learner's download never calls this: a request never renders."""
    name = certificate_pdf_store.call(certificate_id=certificate.pk)
    with Certificate._meta.get_field("pdf").storage.open(name, "rb") as handle:
        return handle.read()


# --- verification ----------------------------------------------------------------------


def verification_allowed(
    client_address: str, *, kind: str = "certificate-lookups", limit: int = 0, window: int = 60
) -> bool:
    """A per-address budget on code lookups (or on another `kind` of check, `limit` per
    `window` seconds), counted in the shared cache (Redis in production) so that every
    host shares it; each window's counter expires by itself."""
    key = f"{kind}:{client_address}:{int(time.time() // window)}"
    try:
        hits = _counted(caches["default"], key, timeout=2 * window)
    except Exception:
        # Licensing boards must be able to verify while the cache is down: fail open.
        logger.warning("Certificate lookup limit not counted (cache unavailable)", exc_info=True)
        return True
    return hits <= (limit or settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE)


def _counted(cache, key: str, *, timeout: int) -> int:
    """One more on the counter `key` of `cache`, which expires by itself; the new count.
    Redis (ops.rediscache) counts in one round trip; other caches (the database cache of
    the demo, local memory in tests) by add + incr."""
    count = getattr(cache, "count", None)
    if count is not None:
        return count(key, timeout=timeout)
    try:
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)
    except ValueError:  # the counter expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def certificate_by_typed_code(typed: str) -> Certificate | None:
    """The certificate behind a code as a person typed it (see codes.normalize)."""
    code = codes.normalize(typed)
    if code is None:
        return None
    # The code is unique: no ORDER BY (Django compiles one by hashing every selected
    # column, ~1 ms over these joined rows).
    found = Certificate.objects.select_related("replaced_by", "signed_document").filter(code=code)
    return next(iter(found.order_by()), None)


# What the verification page and its JSON print (verify.html, verification_facts), and
# nothing else: not the frozen course facts, the director's note or the PDF's name.
VERIFIED_COLUMNS = (
    "code", "status", "holder_name", "holder_credentials", "holder_profession",
    "license_number", "license_jurisdiction", "license_jurisdiction_code", "no_license",
    "course_title", "instructors", "ce_credits", "credit_type", "approving_body",
    "provider_number", "approval_statement", "completed_on", "delivery_format",
    "sponsor_name", "revoked_at", "public_reason",
    "replaced_by__code", "signed_document__sha256", "signed_document__self_signed_demo",
)  # fmt: skip


def certificate_to_verify(typed: str) -> Certificate | None:
    """certificate_by_typed_code for the public verification page and JSON: one unordered
    query for the printed columns, its replacement's code and its signed PDF's fingerprint."""
    code = codes.normalize(typed)
    if code is None:
        return None
    found = (
        Certificate.objects.select_related("replaced_by", "signed_document")
        .only(*VERIFIED_COLUMNS)
        .filter(code=code)
        .order_by()
    )
    return next(iter(found), None)


def verification_facts(certificate: Certificate) -> dict:
    """What the public JSON says: the printed facts and the status, with the public
    reason only (never the director's note, order numbers or refund details)."""
    replaced = certificate.replaced_by
    return {
        "code": certificate.display_code,
        "status": certificate.status,
        "holder": certificate.holder_display,
        "profession": certificate.get_holder_profession_display(),
        "license_jurisdiction": certificate.license_jurisdiction,
        "license_jurisdiction_code": certificate.license_jurisdiction_code,
        "license_number_last4": certificate.masked_license,
        "no_license_stated": certificate.no_license,
        "course_title": certificate.course_title,
        "instructors": certificate.instructors,
        "ce_credits": str(certificate.ce_credits),
        "credit_type": certificate.credit_type,
        "approving_body": certificate.approving_body,
        "provider_number": certificate.provider_number,
        "completed_on": certificate.completed_on.isoformat(),
        "delivery_format": certificate.delivery_format,
        "sponsor": certificate.sponsor_name,
        "approval_statement": certificate.approval_statement,
        "revoked_at": certificate.revoked_at.isoformat()
        if certificate.status == Certificate.Status.REVOKED
        else None,
        "revocation_reason": certificate.get_public_reason_display() or None,
        "replaced_at": certificate.revoked_at.isoformat()
        if certificate.status == Certificate.Status.REISSUED
        else None,
        "replaced_by": verification_url(replaced) if replaced else None,
        # The SHA-256 of the signed PDF we issued (credentials app); None before it exists.
        "document_sha256": signed.sha256 if (signed := signed_document_of(certificate)) else None,
    }


def signed_document_of(document):
    """The signed PDF's record (credentials.SignedDocument) of a certificate or program
    credential, or None before its PDF is stored and signed."""
    try:
        return document.signed_document
    except ObjectDoesNotExist:
        return None
