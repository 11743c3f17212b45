"""Emails to the holder when a certificate is issued or revoked, with its verification
link: tasks enqueued in the transaction that records the change, sent by the worker,
retried with back-off, sent once (background.mail keeps the ledger)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string

from background.mail import email_deliver
from background.retries import retried

from .models import Certificate


def _about(*, certificate_id: int) -> str:
    code = Certificate.objects.filter(pk=certificate_id).values_list("code", flat=True).first()
    return f"certificate {certificate_id}" + ("" if code else " (gone)")


def _send(certificate: Certificate, template: str, subject: str, key: str) -> str:
    context = {
        "certificate": certificate,
        "verify_url": f"{settings.SITE_URL}{certificate.get_absolute_url()}",
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"certificates/email/{template}.txt", context),
        to=[certificate.enrollment.user.email],
    )
    message.attach_alternative(
        render_to_string(f"certificates/email/{template}.html", context), "text/html"
    )
    return "sent" if email_deliver(message=message, key=key) else "sent before"


@retried(about=_about)
@task
def certificate_issued_send(*, certificate_id: int) -> str:
    certificate = Certificate.objects.select_related("enrollment__user").get(pk=certificate_id)
    return _send(
        certificate,
        "certificate_issued",
        f"Your certificate: {certificate.course_title}",
        f"certificate-issued:{certificate.pk}",
    )


@retried(about=_about)
@task
def certificate_revoked_send(*, certificate_id: int) -> str:
    certificate = Certificate.objects.select_related("enrollment__user").get(pk=certificate_id)
    if certificate.status != Certificate.Status.REVOKED:
        return "not sent: reinstated before the email went out"
    return _send(
        certificate,
        "certificate_revoked",
        f"Certificate revoked: {certificate.course_title}",
        # Revoked, reinstated and revoked again is a second message.
        f"certificate-revoked:{certificate.pk}:{certificate.revoked_at.isoformat()}",
    )
