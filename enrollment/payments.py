"""Which payment gateway an order uses: Stripe, the labelled demo gateway, or none (free).

The demo gateway exists only with DEBUG on and no STRIPE_SECRET_KEY (settings refuse to
start production without keys); it goes through the same fulfilment and refund code.
"""

from typing import Any

from django.conf import settings

from . import stripe_gateway
from .models import Gateway, Order, Refund

__all__ = ["demo_enabled", "gateway_for", "refund_create", "stripe_gateway"]


def demo_enabled() -> bool:
    return settings.DEBUG and not settings.STRIPE_SECRET_KEY


def gateway_for(course) -> str:
    if course.price_cents == 0:
        return Gateway.FREE
    return Gateway.DEMO if demo_enabled() else Gateway.STRIPE


def refund_create(*, order: Order, refund: Refund) -> dict[str, Any]:
    metadata = {"order_number": order.number, "refund_row": str(refund.pk)}
    if order.gateway == Gateway.STRIPE:
        return stripe_gateway.refund_create(
            payment_intent_id=order.stripe_payment_intent_id,
            amount_cents=refund.amount_cents,
            idempotency_key=f"refund-{refund.pk}",
            metadata=metadata,
        )
    return {
        "id": f"re_demo_{refund.pk}",
        "object": "refund",
        "amount": refund.amount_cents,
        "status": "succeeded",
        "payment_intent": order.stripe_payment_intent_id,
        "metadata": metadata,
    }
