"""Refunds: one code path whoever starts them (learner, director, Stripe Dashboard).

A full refund ends access at once (states.enrollment_revoke); the certificates app hears
of it through the enrollment_revoked signal.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.tasks import task
from django.utils import timezone

from background.retries import retried
from courses.templatetags.catalog import money
from records.events import event_log

from . import notifications, payments
from .models import Enrollment, Order, OrderStatus, Refund, RefundRequest, StripeEvent
from .states import (
    Actor,
    enrollment_revoke,
    order_move,
    refund_move,
    refund_request_move,
    status_start,
)

logger = logging.getLogger(__name__)


class RefundError(Exception):
    """A refund that cannot be made; the message is fit to show."""


def refund_rule_text() -> str:
    """The refund rule as the course page and the order page state it."""
    days = settings.REFUND_WINDOW_DAYS
    window = f"within {days} days of purchase" if days else "at any time"
    return f"Not satisfied? Ask for a full refund {window}; we cancel the order and refund it."


def order_refund(
    *,
    order: Order,
    reason: str,
    actor: str,
    amount_cents: int | None = None,
    requested_by=None,
    approved_by=None,
    revoke_access: bool | None = None,
) -> Refund:
    """Refund an order through the payment provider and record it. One path for all.

    A full refund revokes the enrollment at once; a partial one only when asked to.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        pending = (
            order.refunds.filter(status=Refund.Status.PENDING).aggregate(total=Sum("amount_cents"))[
                "total"
            ]
            or 0
        )
        available = order.refundable_cents - pending
        amount = available if amount_cents is None else amount_cents
        if not order.is_paid or available <= 0:
            raise RefundError(f"Order {order.number} has nothing left to refund.")
        if not 0 < amount <= available:
            raise RefundError(
                f"A refund on {order.number} can be at most {money(available, order.currency)}."
            )
        full = amount == available
        refund = Refund.objects.create(
            order=order,
            amount_cents=amount,
            reason=reason,
            requested_by=requested_by,
            approved_by=approved_by,
            revoke_access=full if revoke_access is None else revoke_access,
        )
        status_start(refund, actor=actor, actor_user=approved_by or requested_by, note=reason)
    try:
        result = payments.refund_create(order=order, refund=refund)
    except payments.stripe_gateway.StripeError as error:
        with transaction.atomic():
            refund = Refund.objects.select_for_update().get(pk=refund.pk)
            if refund.status == Refund.Status.PENDING:
                refund_move(
                    refund=refund,
                    to=Refund.Status.FAILED,
                    actor=actor,
                    actor_user=approved_by or requested_by,
                    note=f"Stripe refused it: {error.user_message or error.__class__.__name__}",
                )
        logger.exception("Stripe refused refund %s on %s", refund.pk, order.number)
        raise RefundError(
            f"The payment provider refused the refund: {error.user_message or 'try again later'}."
        ) from error
    refund_apply(stripe_refund=result, actor=actor, actor_user=approved_by or requested_by)
    refund.refresh_from_db()
    return refund


def refund_apply(
    *, stripe_refund: dict[str, Any], actor: str, actor_user=None, event_id: str = ""
) -> Refund | None:
    """Record what Stripe says about a refund (ours or made in the Dashboard). Idempotent."""
    metadata = stripe_refund.get("metadata") or {}
    payment_intent = stripe_refund.get("payment_intent") or ""
    with transaction.atomic():
        order = _refunded_order(payment_intent, metadata)
        if order is None:
            return None
        refund = (
            order.refunds.filter(stripe_refund_id=stripe_refund["id"]).first()
            or order.refunds.filter(
                pk=_int(metadata.get("refund_row")), stripe_refund_id__isnull=True
            ).first()
        )
        reported = _refund_status(stripe_refund.get("status"))
        if refund is None:
            refund = Refund.objects.create(
                order=order,
                reason="Refunded in the Stripe Dashboard.",
                revoke_access=stripe_refund["amount"] >= order.refundable_cents,
                stripe_refund_id=stripe_refund["id"],
                amount_cents=stripe_refund["amount"],
                status=reported,
            )
            status_start(refund, actor=actor, actor_user=actor_user, note=refund.reason)
        else:
            refund = Refund.objects.select_for_update().get(pk=refund.pk)
            refund.stripe_refund_id = stripe_refund["id"]
            refund.amount_cents = stripe_refund["amount"]
            refund.save(update_fields=["stripe_refund_id", "amount_cents", "updated_at"])
            if refund.can_move_to(reported):
                failure = stripe_refund.get("failure_reason") or ""
                refund_move(
                    refund=refund,
                    to=reported,
                    actor=actor,
                    actor_user=actor_user,
                    event_id=event_id,
                    note=f"Stripe: {failure}" if failure else "",
                )
            # Otherwise the report is a repeat or older than what we hold (events arrive
            # out of order): Stripe's statuses only move forward, so it changes nothing.
        event_log(
            "refund.recorded",
            refund=refund.pk,
            stripe_refund=refund.stripe_refund_id,
            order=order.number,
            amount_cents=refund.amount_cents,
            currency=order.currency,
            status=refund.status,
            actor=actor,
            stripe_event=event_id or "-",
        )
        _order_settle_refunds(order, refund, actor=actor, actor_user=actor_user, event_id=event_id)
    return refund


def _refunded_order(payment_intent: str, metadata: dict) -> Order | None:
    """The (locked) order a Stripe refund belongs to. Our refunds name their order in
    the metadata; a Dashboard refund names only the payment, which several orders share
    when one checkout paid a program's courses: then the refund cannot be placed, and
    those orders are flagged for the director, who refunds per course from admin."""
    orders = Order.objects.select_for_update()
    if metadata.get("order_number"):
        order = orders.filter(number=metadata["order_number"]).first()
        if order is not None and (
            not payment_intent or order.stripe_payment_intent_id in {None, payment_intent}
        ):
            return order
    if not payment_intent:
        return None
    sharing = list(orders.filter(stripe_payment_intent_id=payment_intent).order_by("pk")[:2])
    if len(sharing) == 1:
        return sharing[0]
    if sharing:
        note = (
            f"A refund on payment {payment_intent} made outside this site does not say which "
            "course it is for (the payment paid several orders). Record it per course."
        )
        for order in Order.objects.filter(stripe_payment_intent_id=payment_intent):
            if note not in order.attention_note:
                order.needs_attention = True
                order.attention_note = f"{order.attention_note}\n{note}".strip()
                order.save(update_fields=["needs_attention", "attention_note", "updated_at"])
        logger.error(note)
    return None


def _order_settle_refunds(order: Order, refund: Refund, *, actor, actor_user, event_id) -> None:
    refunded = (
        order.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount_cents"))[
            "total"
        ]
        or 0
    )
    if refunded == order.amount_refunded_cents:
        return
    if refunded < order.amount_refunded_cents:
        _order_refund_reversed(order, refund, refunded, actor, actor_user, event_id)
        return
    order.amount_refunded_cents = min(refunded, order.amount_paid_cents)
    to = (
        OrderStatus.REFUNDED
        if order.amount_refunded_cents >= order.amount_paid_cents
        else OrderStatus.PARTIALLY_REFUNDED
    )
    order_move(order=order, to=to, actor=actor, actor_user=actor_user, event_id=event_id)
    if to == OrderStatus.REFUNDED or refund.revoke_access:
        enrollment = Enrollment.objects.filter(order=order, status=Enrollment.Status.ACTIVE).first()
        if enrollment is not None:
            enrollment_revoke(
                enrollment=enrollment,
                reason=f"Refund on order {order.number}",
                actor=actor,
                actor_user=actor_user,
            )
    # The learner's own click refunds under the refund rule: nobody decided it.
    by_rule = actor == Actor.LEARNER
    for request in RefundRequest.objects.select_for_update().filter(
        order=order, status=RefundRequest.Status.OPEN
    ):
        refund_request_move(
            request=request,
            to=RefundRequest.Status.APPROVED,
            actor=Actor.SYSTEM if by_rule else actor,
            actor_user=None if by_rule else actor_user,
            note=f"Refunded {money(refund.amount_cents, order.currency)}"
            + (" under the refund rule." if by_rule else "."),
            refund=refund,
        )
    notifications.refund_confirmation_send.enqueue(refund_id=refund.pk)


def _order_refund_reversed(order, refund, refunded, actor, actor_user, event_id) -> None:
    """A refund failed after it had succeeded: the money is back in our Stripe balance,
    not with the learner. The order says so and waits for the director; access stays
    as it is (a revoked enrollment is never restored by a payment problem)."""
    order.amount_refunded_cents = refunded
    order.needs_attention = True
    problem = (
        f"Refund {refund.stripe_refund_id} of {money(refund.amount_cents, order.currency)} "
        "failed after it had succeeded; the learner did not get the money back. "
        "Refund again or pay the learner another way."
    )
    order.attention_note = f"{order.attention_note}\n{problem}".strip()
    to = OrderStatus.PARTIALLY_REFUNDED if refunded else OrderStatus.PAID
    order_move(
        order=order, to=to, actor=actor, actor_user=actor_user, event_id=event_id, note=problem
    )


def refund_request_decline(*, request: RefundRequest, director, note: str = "") -> bool:
    """The director says no; False when the request was no longer open."""
    with transaction.atomic():
        request = RefundRequest.objects.select_for_update().get(pk=request.pk)
        if not request.can_move_to(RefundRequest.Status.DECLINED):
            return False
        refund_request_move(
            request=request,
            to=RefundRequest.Status.DECLINED,
            actor=Actor.DIRECTOR,
            actor_user=director,
            note=note,
        )
    return True


def refund_request_withdraw(*, order: Order, user) -> RefundRequest:
    """The learner takes back an open request (changed their mind, or it was resolved)."""
    with transaction.atomic():
        request = (
            RefundRequest.objects.select_for_update()
            .filter(order=order, order__user=user, status=RefundRequest.Status.OPEN)
            .first()
        )
        if request is None:
            raise ValidationError("There is no open refund request on this order.")
        refund_request_move(
            request=request,
            to=RefundRequest.Status.WITHDRAWN,
            actor=Actor.LEARNER,
            actor_user=user,
            note="Withdrawn by the learner.",
        )
    return request


def refund_request_create(*, order: Order, user, reason: str) -> RefundRequest:
    """The learner asks for a refund. Within the rule it is refunded at once."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Please tell us briefly why you want a refund.")
    if order.user_id != user.pk or not order.is_paid or order.refundable_cents == 0:
        raise ValidationError("This order cannot be refunded.")
    if settings.REFUND_WINDOW_DAYS and order.paid_at < timezone.now() - timedelta(
        days=settings.REFUND_WINDOW_DAYS
    ):
        raise ValidationError(
            f"Refunds are available within {settings.REFUND_WINDOW_DAYS} days of purchase; "
            "please write to the Director."
        )
    try:
        with transaction.atomic():
            request = RefundRequest.objects.create(order=order, reason=reason)
            status_start(request, actor=Actor.LEARNER, actor_user=user, note=reason)
    except IntegrityError:
        return RefundRequest.objects.get(order=order, status=RefundRequest.Status.OPEN)
    if settings.REFUND_REQUESTS_AUTO_APPROVE:
        try:
            order_refund(order=order, reason=reason, actor=Actor.LEARNER, requested_by=user)
        except RefundError:
            logger.exception("Automatic refund of %s failed; the request stays open", order.number)
    request.refresh_from_db()
    return request


def _duplicate_about(*, order_id: int, kept_order_id: int) -> str:
    number = Order.objects.filter(pk=order_id).values_list("number", flat=True).first()
    return f"order {number or f'#{order_id}'} (duplicate payment)"


def _duplicate_give_up(*, order_id: int, kept_order_id: int) -> None:
    Order.objects.filter(pk=order_id).update(needs_attention=True)


@retried(about=_duplicate_about, on_give_up=_duplicate_give_up)
@task
def duplicate_payment_refund(*, order_id: int, kept_order_id: int) -> str:
    """Give back a second payment for a course the learner already owns, in full.

    A task: Stripe may be slow or down, and the payer's response must not wait for it.
    Run twice (a retry, a worker lost mid-call), it refunds once: Stripe's idempotency
    key names our refund row, and an order with nothing left to refund is done.
    """
    order = Order.objects.get(pk=order_id)
    kept = Order.objects.get(pk=kept_order_id)
    pending = order.refunds.filter(status=Refund.Status.PENDING).first()
    if pending is not None:  # an earlier run stopped between our row and Stripe's answer
        result = payments.refund_create(order=order, refund=pending)
        refund_apply(stripe_refund=result, actor=Actor.SYSTEM)
        return f"refund {pending.pk} completed"
    if order.refundable_cents == 0:
        return "refunded before"
    refund = order_refund(
        order=order,
        reason=f"Duplicate payment: the course was already bought with order {kept}.",
        actor=Actor.SYSTEM,
    )
    return f"refund {refund.pk} {refund.status}"


def stripe_refunds_in(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The refund objects a refund.* or charge.refunded event carries."""
    obj = event["data"]["object"]
    if event["type"] != "charge.refunded":
        return [obj]
    found = (obj.get("refunds") or {}).get("data") or []
    return [{"payment_intent": obj.get("payment_intent"), **refund} for refund in found]


def deferred_refunds_apply(*, payment_intent: str) -> None:
    """Apply the refund events that arrived before this payment was recorded."""
    for stored in StripeEvent.objects.filter(
        deferred_payment_intent=payment_intent, processed_at__isnull=True
    ):
        outcomes = []
        for stripe_refund in stripe_refunds_in(stored.payload):
            refund = refund_apply(
                stripe_refund=stripe_refund, actor=Actor.WEBHOOK, event_id=stored.event_id
            )
            outcomes.append(f"refund {stripe_refund.get('id')} {refund and refund.status}")
        StripeEvent.objects.filter(pk=stored.pk).update(
            processed_at=timezone.now(),
            outcome=f"replayed after payment: {'; '.join(outcomes)}"[:500],
        )


def _refund_status(stripe_status: str | None) -> str:
    return {
        "succeeded": Refund.Status.SUCCEEDED,
        "failed": Refund.Status.FAILED,
        "canceled": Refund.Status.CANCELED,
    }.get(stripe_status or "", Refund.Status.PENDING)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
