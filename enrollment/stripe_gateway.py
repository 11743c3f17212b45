"""The one module that imports `stripe`: the seam the tests fake at its HTTP boundary.

Everything else in the project talks to Stripe through these functions, which take and
return plain values (ids, dicts). STRIPE_API_BASE points the client at Stripe in
production and at a fake server on loopback in tests; no other code path differs.
"""

from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

# Stripe errors the callers may catch without importing stripe themselves.
StripeError = stripe.StripeError
SignatureVerificationError = stripe.SignatureVerificationError


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
    )


def checkout_session_create(
    *,
    order_number: str,
    order_id: int,
    title: str,
    amount_cents: int,
    currency: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    metadata = {"order_number": order_number, "order_id": str(order_id)}
    return _session_create(
        lines=[(title, amount_cents)],
        reference=order_number,
        metadata=metadata,
        currency=currency,
        customer_email=customer_email,
        success_url=success_url,
        cancel_url=cancel_url,
        allow_promotion_codes=True,
        idempotency_key=f"checkout-{order_number}",
    )


def checkout_session_create_for_orders(
    *,
    orders: list[tuple[str, str, int]],
    currency: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """One Checkout Session paying several orders: one line per order (number, title,
    amount), the order numbers in the metadata. No promotion codes: a Stripe discount on
    the whole session could not be split exactly between the orders' refunds."""
    numbers = " ".join(number for number, _, _ in orders)
    return _session_create(
        lines=[(title, amount) for _, title, amount in orders],
        reference=orders[0][0],
        metadata={"order_numbers": numbers},
        currency=currency,
        customer_email=customer_email,
        success_url=success_url,
        cancel_url=cancel_url,
        allow_promotion_codes=False,
        idempotency_key=f"checkout-{'+'.join(number for number, _, _ in orders)}",
    )


def _session_create(
    *,
    lines: list[tuple[str, int]],
    reference: str,
    metadata: dict[str, str],
    currency: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    allow_promotion_codes: bool,
    idempotency_key: str,
) -> CheckoutSession:
    session = _client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "client_reference_id": reference,
            "customer_email": customer_email,
            "allow_promotion_codes": allow_promotion_codes,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount_cents,
                        "product_data": {"name": title},
                    },
                }
                for title, amount_cents in lines
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options={"idempotency_key": idempotency_key},
    )
    return CheckoutSession(id=session.id, url=session.url)


def checkout_session_retrieve(session_id: str) -> dict[str, Any]:
    return _client().v1.checkout.sessions.retrieve(session_id).to_dict()


def refund_create(
    *, payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
) -> dict[str, Any]:
    refund = _client().v1.refunds.create(
        params={
            "payment_intent": payment_intent_id,
            "amount": amount_cents,
            "reason": "requested_by_customer",
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )
    return refund.to_dict()


def webhook_event_construct(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Verify the Stripe-Signature header (default tolerance) and parse the event.

    Raises SignatureVerificationError for a bad or missing signature and ValueError for a
    body that is not an event.
    """
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
        data = event.to_dict()
    except (AttributeError, TypeError, KeyError) as error:  # signed, but not an event object
        raise ValueError("not a Stripe event") from error
    if (
        not isinstance(data.get("id"), str)
        or not isinstance(data.get("type"), str)
        or not isinstance((data.get("data") or {}).get("object"), dict)
    ):
        raise ValueError("not a Stripe event")
    return data
