"""Issuing, rendering, revoking and reissuing certificates."""

import io
import logging

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from courses.models import ProgramPolicies
from enrollment.models import Enrollment
from records.events import event_log
from testing.models import EvaluationResponse
from testing.services import passed_attempt

from . import codes
from .models import Certificate, LookupBucket

logger = logging.getLogger(__name__)


def verification_url(certificate: Certificate) -> str:
    return f"{settings.SITE_URL}{certificate.get_absolute_url()}"


def issue_blockers(*, enrollment: Enrollment) -> list[str]:
    """What still stands between the learner and the certificate; empty when none."""
    blockers = []
    if not enrollment.is_active:
        blockers.append("the enrollment is not active")
    if passed_attempt(enrollment) is None:
        blockers.append("pass the post-test")
    if not EvaluationResponse.objects.filter(enrollment=enrollment).exists():
        blockers.append("submit the course evaluation")
    if not enrollment.user.certificate_profile_complete:
        blockers.append("add the name to print on certificates in your account")
    return blockers


def _snapshot(enrollment: Enrollment) -> dict:
    user, course = enrollment.user, enrollment.course
    policies = ProgramPolicies.current()
    passed = passed_attempt(enrollment)
    instructors = "; ".join(
        link.instructor.display_name
        for link in course.course_instructors.select_related("instructor")
    )
    return {
        "holder_name": user.certificate_name.strip(),
        "holder_credentials": user.credentials,
        "license_number": user.license_number,
        "license_jurisdiction": user.license_jurisdiction,
        "course_title": course.title,
        "ce_credits": course.ce_credits,
        "credit_type": course.credit_type,
        "instructors": instructors,
        "completed_on": timezone.localdate(passed.submitted_at) if passed else timezone.localdate(),
        "sponsor_name": policies.sponsor_name if policies else settings.SITE_NAME,
        "approval_statement": policies.approval_statement if policies else "",
    }


def certificate_issue(*, enrollment: Enrollment) -> Certificate | None:
    """Issue the certificate once the rules are met. Idempotent, also when concurrent."""
    existing = enrollment.certificates.filter(status=Certificate.Status.VALID).first()
    if existing is not None:
        return existing
    if enrollment.certificates.exists():
        return None  # revoked by the director: only a reissue brings it back
    if issue_blockers(enrollment=enrollment):
        return None
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(enrollment=enrollment, **_snapshot(enrollment))
    except IntegrityError:  # another request issued it first
        return enrollment.certificates.get(status=Certificate.Status.VALID)
    event_log(
        "certificate.issued",
        code=certificate.display_code,
        enrollment=enrollment.pk,
        order_id=enrollment.order_id,
    )
    return certificate


def certificate_revoke(*, certificate: Certificate, reason: str) -> Certificate:
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason: the verification page shows it.")
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.status == Certificate.Status.VALID:
            certificate.status = Certificate.Status.REVOKED
            certificate.revoked_at = timezone.now()
            certificate.revoke_reason = reason[:500]
            certificate.save(update_fields=["status", "revoked_at", "revoke_reason"])
            event_log("certificate.revoked", code=certificate.display_code, reason=reason[:200])
    return certificate


def certificate_reissue(*, certificate: Certificate, reason: str) -> Certificate:
    """After a name or license correction: a new certificate, a new code, history kept."""
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if old.status != Certificate.Status.VALID:
            raise ValidationError("Only a valid certificate can be reissued.")
        now = timezone.now()
        # One valid certificate per enrollment, and a REISSUED one names its successor:
        # step the old one aside first, then point it at the new one.
        Certificate.objects.filter(pk=old.pk).update(
            status=Certificate.Status.REVOKED, revoked_at=now, revoke_reason=reason[:500]
        )
        new = Certificate.objects.create(
            enrollment=old.enrollment,
            **{**_snapshot(old.enrollment), "completed_on": old.completed_on},
        )
        Certificate.objects.filter(pk=old.pk).update(
            status=Certificate.Status.REISSUED, replaced_by=new
        )
    event_log("certificate.reissued", code=old.display_code, new_code=new.display_code)
    return new


def revoke_for_enrollment(sender, enrollment, reason: str, **kwargs) -> None:
    """enrollment_revoked receiver: a refund revokes the certificate at once."""
    for certificate in enrollment.certificates.filter(status=Certificate.Status.VALID):
        certificate_revoke(certificate=certificate, reason=reason)


def issue_after_evaluation(sender, instance: EvaluationResponse, created: bool, **kwargs) -> None:
    if created:
        transaction.on_commit(lambda: certificate_issue(enrollment=instance.enrollment))


# --- PDF -------------------------------------------------------------------------------


FONTS_URI = (settings.BASE_DIR / "static" / "fonts").as_uri()


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def certificate_html(certificate: Certificate) -> str:
    url = verification_url(certificate)
    return render_to_string(
        "certificates/pdf.html",
        {
            "certificate": certificate,
            "verification_url": url,
            "qr": qr_svg(url),
            "policies": ProgramPolicies.current(),
            "fonts": FONTS_URI,
            "SITE_NAME": settings.SITE_NAME,
        },
    )


def render_pdf(html: str, *, title: str, author: str) -> bytes:
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    document.metadata.title = title
    document.metadata.authors = [author]
    out = io.BytesIO()
    document.write_pdf(out)
    return out.getvalue()


def certificate_pdf(*, certificate: Certificate) -> bytes:
    """The stored PDF; rendered once, and again if the stored file has gone missing."""
    if certificate.pdf and certificate.pdf.storage.exists(certificate.pdf.name):
        with certificate.pdf.open("rb") as handle:
            return handle.read()
    data = render_pdf(
        certificate_html(certificate),
        title=f"Certificate of Completion: {certificate.course_title}",
        author=certificate.sponsor_name,
    )
    certificate.pdf.save(f"{certificate.code}.pdf", ContentFile(data), save=False)
    Certificate.objects.filter(pk=certificate.pk).update(pdf=certificate.pdf.name)
    return data


# --- verification ----------------------------------------------------------------------


def verification_allowed(client_address: str) -> bool:
    """A per-address budget on code lookups, counted in the database so that every worker
    and host shares it: one upsert per lookup (PostgreSQL and SQLite both speak it)."""
    window = int(timezone.now().timestamp() // 60)
    table = connection.ops.quote_name(LookupBucket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (address, minute, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (address, minute) DO UPDATE SET hits = {table}.hits + 1 "
            "RETURNING hits",
            [client_address[:64], window],
        )
        hits = cursor.fetchone()[0]
    if hits == 1:  # first lookup of this minute: forget this address's older minutes
        LookupBucket.objects.filter(address=client_address[:64], minute__lt=window).delete()
    return hits <= settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE


def certificate_by_typed_code(typed: str) -> Certificate | None:
    """The certificate behind a code as a person typed it (see codes.normalize)."""
    code = codes.normalize(typed)
    if code is None:
        return None
    return Certificate.objects.select_related("replaced_by").filter(code=code).first()


def verification_facts(certificate: Certificate) -> dict:
    replaced = certificate.replaced_by
    return {
        "code": certificate.display_code,
        "status": certificate.status,
        "holder": certificate.holder_display,
        "license_jurisdiction": certificate.license_jurisdiction,
        "license_number_last4": certificate.masked_license,
        "course_title": certificate.course_title,
        "ce_credits": str(certificate.ce_credits),
        "credit_type": certificate.credit_type,
        "completed_on": certificate.completed_on.isoformat(),
        "delivery_format": certificate.delivery_format,
        "sponsor": certificate.sponsor_name,
        "approval_statement": certificate.approval_statement,
        "revoked_at": certificate.revoked_at.isoformat() if certificate.revoked_at else None,
        "revoke_reason": certificate.revoke_reason or None,
        "replaced_by": verification_url(replaced) if replaced else None,
    }
