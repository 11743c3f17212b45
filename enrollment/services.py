"""Buying, fulfilling and refunding. Every write that spans models or leaves the process.

Views, admin actions and the webhook all call these functions; nothing else changes an
order's status. Stripe is called outside the transactions that record its answers, and
every function here is safe to call twice with the same input.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, ProgramPolicies
from courses.templatetags.catalog import money

from . import payments
from .models import (
    Enrollment,
    Gateway,
    Order,
    OrderStatus,
    OrderStatusChange,
    Refund,
    RefundRequest,
    SectionProgress,
    StripeEvent,
)
from .signals import enrollment_revoked

logger = logging.getLogger(__name__)
Actor = OrderStatusChange.Actor


class IllegalTransition(Exception):
    pass


class RefundError(Exception):
    """A refund that cannot be made; the message is fit to show."""


def refund_rule_text() -> str:
    """The refund rule as the course page and the order page state it."""
    days = settings.REFUND_WINDOW_DAYS
    window = f"within {days} days of purchase" if days else "at any time"
    return f"Not satisfied? Ask for a full refund {window}; we cancel the order and refund it."


# --- status machine --------------------------------------------------------------------


def order_move(
    *,
    order: Order,
    to: str,
    actor: str,
    actor_user=None,
    event_id: str = "",
    note: str = "",
) -> None:
    """The one way an order changes status: refuses illegal moves, keeps the history."""
    if not order.can_move_to(to):
        raise IllegalTransition(f"order {order.number} cannot go from {order.status} to {to}")
    OrderStatusChange.objects.create(
        order=order,
        from_status=order.status,
        to_status=to,
        actor=actor,
        actor_user=actor_user,
        stripe_event_id=event_id,
        note=note[:500],
    )
    order.status = to
    order.save()


# --- buying ----------------------------------------------------------------------------


def order_start(*, user, course: Course) -> Order:
    """A pending order with a snapshot of what the learner is buying.

    A second press of Buy within the hour, for the same price, reuses the pending order,
    and with it (through Stripe's idempotency key) the same Checkout Session. The
    learner's row is locked so that concurrent presses see each other's order.
    """
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        return _order_start_locked(user=user, course=course)


def _order_start_locked(*, user, course: Course) -> Order:
    recent = (
        Order.objects.filter(
            user=user,
            course=course,
            status=OrderStatus.PENDING,
            price_cents=course.price_cents,
            currency=course.currency,
            course_title=course.title,
            created_at__gte=timezone.now() - timedelta(hours=1),
        )
        .order_by("-created_at")
        .first()
    )
    if recent is not None:
        return recent
    policies = ProgramPolicies.current()
    order = Order.objects.create(
        user=user,
        course=course,
        gateway=payments.gateway_for(course),
        course_title=course.title,
        price_cents=course.price_cents,
        currency=course.currency,
        ce_credits=course.ce_credits,
        credit_type=course.credit_type,
        refund_policy="\n\n".join(
            filter(None, [refund_rule_text(), policies and policies.refund_cancellation])
        ),
    )
    OrderStatusChange.objects.create(
        order=order, to_status=OrderStatus.PENDING, actor=Actor.LEARNER, actor_user=user
    )
    return order


def checkout_begin(*, order: Order) -> str:
    """Start paying for the order; returns where to send the learner next."""
    if order.gateway == Gateway.FREE:
        payment_record(order=order, reference="", amount_cents=0, actor=Actor.LEARNER)
        return reverse("enrollment:my_courses")
    if order.gateway == Gateway.DEMO:
        return reverse("enrollment:demo_checkout", kwargs={"number": order.number})
    site = settings.SITE_URL
    cancel_path = reverse("enrollment:checkout_cancel", kwargs={"number": order.number})
    session = payments.stripe_gateway.checkout_session_create(
        order_number=order.number,
        order_id=order.pk,
        title=order.course_title,
        amount_cents=order.price_cents,
        currency=order.currency,
        customer_email=order.user.email,
        success_url=f"{site}{reverse('enrollment:checkout_success')}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{site}{cancel_path}",
    )
    Order.objects.filter(pk=order.pk, stripe_checkout_session_id__isnull=True).update(
        stripe_checkout_session_id=session.id
    )
    return session.url


def checkout_session_fulfil(
    *, session: dict[str, Any], actor: str, event_id: str = ""
) -> Order | None:
    """Grant the course for a paid Checkout Session. Idempotent; webhook and success page.

    Returns the order when it is paid (now or before), None when the session is not paid
    yet or does not match its order (then the order is flagged for the director).
    """
    if session.get("payment_status") not in {"paid", "no_payment_required"}:
        return None
    number = session.get("client_reference_id") or (session.get("metadata") or {}).get(
        "order_number"
    )
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(number=number or "").first()
        if order is None:
            logger.warning("Checkout session %s names no known order", session.get("id"))
            return None
        if order.status in {OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}:
            return order
        problems = _session_mismatches(order, session)
        if problems:
            note = f"Checkout session {session.get('id')} not fulfilled: {'; '.join(problems)}."
            if note not in order.attention_note:
                order.needs_attention = True
                order.attention_note = f"{order.attention_note}\n{note}".strip()
                order.save(update_fields=["needs_attention", "attention_note", "updated_at"])
            logger.error(note)
            return None
        order.stripe_checkout_session_id = session["id"]
        payment_record(
            order=order,
            reference=session.get("payment_intent") or "",
            amount_cents=session.get("amount_total") or 0,
            actor=actor,
            event_id=event_id,
        )
    return order


def _session_mismatches(order: Order, session: dict[str, Any]) -> list[str]:
    problems = []
    if order.stripe_checkout_session_id and order.stripe_checkout_session_id != session.get("id"):
        problems.append(f"the order was opened with session {order.stripe_checkout_session_id}")
    # Promotion codes lower amount_total; the price before discounts must be the order's.
    if session.get("amount_subtotal") != order.price_cents:
        problems.append(
            f"amount {session.get('amount_subtotal')} differs from the order's {order.price_cents}"
        )
    if str(session.get("currency", "")).upper() != order.currency:
        problems.append(f"currency {session.get('currency')} differs from {order.currency}")
    return problems


def payment_record(
    *,
    order: Order,
    reference: str,
    amount_cents: int,
    actor: str,
    event_id: str = "",
) -> Enrollment:
    """Mark the (locked or new) order paid and enroll the learner. Call inside a transaction."""
    with transaction.atomic():
        order.stripe_payment_intent_id = reference or None
        order.amount_paid_cents = amount_cents
        order.paid_at = timezone.now()
        order_move(order=order, to=OrderStatus.PAID, actor=actor, event_id=event_id)
        enrollment = _enroll(order)
        transaction.on_commit(lambda: _send_order_confirmation(order.pk))
        if reference:
            for deferred in StripeEvent.objects.filter(
                deferred_payment_intent=reference, processed_at__isnull=True
            ):
                _replay_deferred_refund(deferred)
    return enrollment


def _enroll(order: Order) -> Enrollment:
    existing = Enrollment.objects.active().filter(user=order.user, course=order.course).first()
    if existing is not None:
        # Paid twice for a course already owned (two tabs, two devices): keep the one
        # enrollment and give the second payment back, automatically and in full.
        order.attention_note += f"\nPaid while already enrolled through {existing.order}."
        order.save(update_fields=["attention_note", "updated_at"])
        transaction.on_commit(lambda: _refund_duplicate_payment(order.pk, existing.order))
        return existing
    return Enrollment.objects.create(user=order.user, course=order.course, order=order)


def _refund_duplicate_payment(order_id: int, kept: Order) -> None:
    order = Order.objects.get(pk=order_id)
    try:
        order_refund(
            order=order,
            reason=f"Duplicate payment: the course was already bought with order {kept}.",
            actor=Actor.SYSTEM,
        )
    except RefundError:
        logger.exception("Could not refund duplicate payment %s", order.number)
        Order.objects.filter(pk=order_id).update(needs_attention=True)


def order_close_unpaid(
    *, session: dict[str, Any], to: str, actor: str = Actor.WEBHOOK, event_id: str = ""
) -> Order | None:
    """An expired or failed Checkout Session closes its pending order without access."""
    number = session.get("client_reference_id") or ""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(number=number).first()
        if order is None or not order.can_move_to(to) or order.status != OrderStatus.PENDING:
            return order  # paid already, or closed already: nothing to do
        order_move(order=order, to=to, actor=actor, event_id=event_id)
    return order


def demo_payment_complete(*, order: Order) -> Order | None:
    """The demo gateway's Pay button: a session shaped like Stripe's, same fulfilment."""
    session = {
        "id": order.stripe_checkout_session_id or f"cs_demo_{order.number}",
        "payment_status": "paid",
        "client_reference_id": order.number,
        "amount_subtotal": order.price_cents,
        "amount_total": order.price_cents,
        "currency": order.currency.lower(),
        "payment_intent": f"pi_demo_{order.number}",
    }
    return checkout_session_fulfil(session=session, actor=Actor.LEARNER)


# --- refunds ---------------------------------------------------------------------------


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
    try:
        result = payments.refund_create(order=order, refund=refund)
    except payments.stripe_gateway.StripeError as error:
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED
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
        order = (
            Order.objects.select_for_update()
            .filter(stripe_payment_intent_id=payment_intent)
            .first()
            if payment_intent
            else None
        )
        if order is None and metadata.get("order_number"):
            order = (
                Order.objects.select_for_update().filter(number=metadata["order_number"]).first()
            )
        if order is None:
            return None
        refund = (
            order.refunds.filter(stripe_refund_id=stripe_refund["id"]).first()
            or order.refunds.filter(
                pk=_int(metadata.get("refund_row")), stripe_refund_id__isnull=True
            ).first()
        )
        if refund is None:
            refund = Refund(
                order=order,
                reason="Refunded in the Stripe Dashboard.",
                revoke_access=stripe_refund["amount"] >= order.refundable_cents,
            )
        refund.stripe_refund_id = stripe_refund["id"]
        refund.amount_cents = stripe_refund["amount"]
        refund.status = _refund_status(stripe_refund.get("status"))
        refund.save()
        _order_settle_refunds(order, refund, actor=actor, actor_user=actor_user, event_id=event_id)
    return refund


def _order_settle_refunds(order: Order, refund: Refund, *, actor, actor_user, event_id) -> None:
    refunded = (
        order.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount_cents"))[
            "total"
        ]
        or 0
    )
    if refunded == order.amount_refunded_cents:
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
            enrollment_revoke(enrollment=enrollment, reason=f"Refund on order {order.number}")
    RefundRequest.objects.filter(order=order, status=RefundRequest.Status.OPEN).update(
        status=RefundRequest.Status.APPROVED, refund=refund, decided_at=timezone.now()
    )
    transaction.on_commit(lambda: _send_refund_confirmation(refund.pk))


def enrollment_revoke(*, enrollment: Enrollment, reason: str) -> None:
    """Access ends at once; later apps (certificates) hear it through the signal."""
    enrollment.status = Enrollment.Status.REVOKED
    enrollment.revoked_at = timezone.now()
    enrollment.revoke_reason = reason[:500]
    enrollment.save(update_fields=["status", "revoked_at", "revoke_reason"])
    enrollment_revoked.send(sender=Enrollment, enrollment=enrollment, reason=reason)


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
    except IntegrityError:
        return RefundRequest.objects.get(order=order, status=RefundRequest.Status.OPEN)
    if settings.REFUND_REQUESTS_AUTO_APPROVE:
        try:
            order_refund(order=order, reason=reason, actor=Actor.LEARNER, requested_by=user)
        except RefundError:
            logger.exception("Automatic refund of %s failed; the request stays open", order.number)
    request.refresh_from_db()
    return request


# --- webhook events ---------------------------------------------------------------------


def _on_session_paid(event: dict[str, Any]) -> str:
    order = checkout_session_fulfil(
        session=event["data"]["object"], actor=Actor.WEBHOOK, event_id=event["id"]
    )
    return f"order {order.number} {order.status}" if order else "not fulfilled"


def _on_session_closed(to: str):
    def handler(event: dict[str, Any]) -> str:
        order = order_close_unpaid(session=event["data"]["object"], to=to, event_id=event["id"])
        return f"order {order.number} {order.status}" if order else "no order"

    return handler


def _on_refund(event: dict[str, Any]) -> str:
    refund = refund_apply(
        stripe_refund=event["data"]["object"], actor=Actor.WEBHOOK, event_id=event["id"]
    )
    if refund is None:
        _defer(event, event["data"]["object"].get("payment_intent"))
        return "deferred: no paid order for this payment yet"
    return f"refund {refund.stripe_refund_id} {refund.status}"


def _on_charge_refunded(event: dict[str, Any]) -> str:
    charge = event["data"]["object"]
    refunds = (charge.get("refunds") or {}).get("data") or []
    outcomes = []
    for stripe_refund in refunds:
        stripe_refund.setdefault("payment_intent", charge.get("payment_intent"))
        refund = refund_apply(
            stripe_refund=stripe_refund, actor=Actor.WEBHOOK, event_id=event["id"]
        )
        if refund is None:
            _defer(event, charge.get("payment_intent"))
            return "deferred: no paid order for this payment yet"
        outcomes.append(f"refund {refund.stripe_refund_id} {refund.status}")
    return "; ".join(outcomes) or "no refund list (refund.* events carry them)"


def _defer(event: dict[str, Any], payment_intent: str | None) -> None:
    StripeEvent.objects.filter(event_id=event["id"]).update(
        deferred_payment_intent=payment_intent or ""
    )


def _replay_deferred_refund(stored: StripeEvent) -> None:
    outcome = EVENT_HANDLERS[stored.type](stored.payload)
    StripeEvent.objects.filter(pk=stored.pk).update(
        processed_at=timezone.now(), outcome=f"replayed after payment: {outcome}"[:500]
    )


EVENT_HANDLERS = {
    "checkout.session.completed": _on_session_paid,
    "checkout.session.async_payment_succeeded": _on_session_paid,
    "checkout.session.async_payment_failed": _on_session_closed(OrderStatus.FAILED),
    "checkout.session.expired": _on_session_closed(OrderStatus.EXPIRED),
    "charge.refunded": _on_charge_refunded,
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
            return "duplicate"
        handler = EVENT_HANDLERS.get(event["type"])
        outcome = handler(event) if handler else "ignored type"
        stored.outcome = outcome[:500]
        if not outcome.startswith("deferred"):
            stored.processed_at = timezone.now()
        stored.save(update_fields=["outcome", "processed_at"])
    return outcome


# --- helpers ---------------------------------------------------------------------------


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


def _send_order_confirmation(order_id: int) -> None:
    order = Order.objects.select_related("user").get(pk=order_id)
    _send(
        "order_confirmation",
        f"Your order {order.number}: {order.course_title}",
        order.user.email,
        {"order": order, "policies": ProgramPolicies.current()},
    )


def _send_refund_confirmation(refund_id: int) -> None:
    refund = Refund.objects.select_related("order__user").get(pk=refund_id)
    if refund.status != Refund.Status.SUCCEEDED:
        return
    _send(
        "refund_confirmation",
        f"Refund on order {refund.order.number}",
        refund.order.user.email,
        {"refund": refund, "order": refund.order},
    )


# --- course player ---------------------------------------------------------------------


def section_visit(*, enrollment: Enrollment | None, section) -> None:
    """Remember where the learner is, so the course home can offer to resume there."""
    if enrollment is not None and enrollment.last_section_id != section.pk:
        Enrollment.objects.filter(pk=enrollment.pk).update(last_section=section)


def section_complete(*, enrollment: Enrollment, section) -> None:
    """Mark a section read. Idempotent (a unique constraint backs it)."""
    if section.course_id != enrollment.course_id:
        raise ValidationError("This section belongs to another course.")
    SectionProgress.objects.get_or_create(enrollment=enrollment, section=section)


def post_test_unlocked(*, enrollment: Enrollment) -> bool:
    """Whether the post-test may open: the hook the testing app asks before each attempt.

    An inactive (refunded) enrollment never unlocks it; a course that does not require
    every section unlocks it at once.
    """
    if not enrollment.is_active:
        return False
    if not enrollment.course.require_all_sections:
        return True
    read = SectionProgress.objects.filter(enrollment=enrollment).values("section")
    return not enrollment.course.sections.exclude(pk__in=read).exists()
