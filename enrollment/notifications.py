"""Emails about orders and refunds: tasks, enqueued in the transaction that records the
payment or the refund, rendered and sent by the worker, retried with back-off, sent once
(background.mail keeps the ledger)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string

from background.mail import email_deliver
from background.retries import retried
from courses.models import ProgramPolicies

from .models import Order, Refund


def _message(template: str, subject: str, to: str, context: dict) -> EmailMultiAlternatives:
    context = {**context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"enrollment/email/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"enrollment/email/{template}.html", context), "text/html"
    )
    return message


def _about_order(*, order_id: int) -> str:
    number = Order.objects.filter(pk=order_id).values_list("number", flat=True).first()
    return f"order {number or f'#{order_id} (gone)'}"


def _about_refund(*, refund_id: int) -> str:
    number = Refund.objects.filter(pk=refund_id).values_list("order__number", flat=True).first()
    return f"refund {refund_id} on order {number or '(gone)'}"


@retried(about=_about_order)
@task
def order_confirmation_send(*, order_id: int) -> str:
    """The receipt. Enqueued when the payment is recorded; the learner is enrolled already."""
    order = Order.objects.select_related("user").get(pk=order_id)
    message = _message(
        "order_confirmation",
        f"Your order {order.number}: {order.course_title}",
        order.user.email,
        {"order": order, "policies": ProgramPolicies.current()},
    )
    sent = email_deliver(message=message, key=f"order-confirmation:{order.number}")
    return "sent" if sent else "sent before"


@retried(about=_about_refund)
@task
def refund_confirmation_send(*, refund_id: int) -> str:
    refund = Refund.objects.select_related("order__user").get(pk=refund_id)
    if refund.status != Refund.Status.SUCCEEDED:
        return f"not sent: refund {refund.status}"
    message = _message(
        "refund_confirmation",
        f"Refund on order {refund.order.number}",
        refund.order.user.email,
        {"refund": refund, "order": refund.order},
    )
    sent = email_deliver(message=message, key=f"refund-confirmation:{refund.pk}")
    return "sent" if sent else "sent before"
