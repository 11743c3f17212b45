"""Stripe's webhook events: stored once under their id, dispatched by type."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from records.events import event_log

from . import orders, refunds
from .models import OrderStatus, StripeEvent
from .states import Actor


def _on_session_paid(event: dict[str, Any]) -> str:
    order = orders.checkout_session_fulfil(
        session=event["data"]["object"], actor=Actor.WEBHOOK, event_id=event["id"]
    )
    return f"order {order.number} {order.status}" if order else "not fulfilled"


def _on_session_closed(to: str):
    def handler(event: dict[str, Any]) -> str:
        order = orders.order_close_unpaid(
            session=event["data"]["object"], to=to, event_id=event["id"]
        )
        return f"order {order.number} {order.status}" if order else "no order"

    return handler


def _on_refund(event: dict[str, Any]) -> str:
    """refund.* and charge.refunded: record each refund; wait for a payment not yet seen."""
    outcomes = []
    for stripe_refund in refunds.stripe_refunds_in(event):
        refund = refunds.refund_apply(
            stripe_refund=stripe_refund, actor=Actor.WEBHOOK, event_id=event["id"]
        )
        if refund is None:
            # Applied by refunds.deferred_refunds_apply once the payment is recorded.
            StripeEvent.objects.filter(event_id=event["id"]).update(
                deferred_payment_intent=stripe_refund.get("payment_intent") or ""
            )
            return "deferred: no paid order for this payment yet"
        outcomes.append(f"refund {refund.stripe_refund_id} {refund.status}")
    return "; ".join(outcomes) or "no refund list (refund.* events carry them)"


EVENT_HANDLERS = {
    "checkout.session.completed": _on_session_paid,
    "checkout.session.async_payment_succeeded": _on_session_paid,
    "checkout.session.async_payment_failed": _on_session_closed(OrderStatus.FAILED),
    "checkout.session.expired": _on_session_closed(OrderStatus.EXPIRED),
    "charge.refunded": _on_refund,
    "refund.created": _on_refund,
    "refund.updated": _on_refund,
    "refund.failed": _on_refund,
}


def stripe_event_process(event: dict[str, Any]) -> str:
    """Record and dispatch one verified event, in one transaction.

    The event id is unique: a duplicate delivery (even a concurrent one, which waits on
    the unique index) is acknowledged without effect. If handling fails, nothing is
    recorded and the error reaches Stripe, which delivers the event again later.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = StripeEvent.objects.create(
                    event_id=event["id"], type=event["type"], payload=event
                )
        except IntegrityError:
            event_log("stripe.event", event_id=event["id"], type=event["type"], outcome="duplicate")
            return "duplicate"
        handler = EVENT_HANDLERS.get(event["type"])
        outcome = handler(event) if handler else "ignored type"
        stored.outcome = outcome[:500]
        if not outcome.startswith("deferred"):
            stored.processed_at = timezone.now()
        stored.save(update_fields=["outcome", "processed_at"])
    event_log("stripe.event", event_id=event["id"], type=event["type"], outcome=outcome)
    return outcome
