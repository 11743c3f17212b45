"""Emails about orders and refunds."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from courses.models import ProgramPolicies

from .models import Order, Refund


def _send(template: str, subject: str, to: str, context: dict) -> None:
    context = {**context, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=render_to_string(f"enrollment/email/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"enrollment/email/{template}.html", context), "text/html"
    )
    message.send()


def order_confirmation_send(order_id: int) -> None:
    order = Order.objects.select_related("user").get(pk=order_id)
    _send(
        "order_confirmation",
        f"Your order {order.number}: {order.course_title}",
        order.user.email,
        {"order": order, "policies": ProgramPolicies.current()},
    )


def refund_confirmation_send(refund_id: int) -> None:
    refund = Refund.objects.select_related("order__user").get(pk=refund_id)
    if refund.status != Refund.Status.SUCCEEDED:
        return
    _send(
        "refund_confirmation",
        f"Refund on order {refund.order.number}",
        refund.order.user.email,
        {"refund": refund, "order": refund.order},
    )
