"""Buying: pending orders, Stripe Checkout, fulfilment and the access it grants.

Views, admin actions and the webhook all call these functions. Stripe is called outside
the transactions that record its answers, and every function here is safe to call twice
with the same input.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from courses.credits import credit_for_learner
from courses.models import Course, ProgramPolicies
from records.events import event_log
from records.transitions import status_start

from . import notifications, payments, refunds
from .models import Enrollment, Gateway, Order, OrderStatus
from .states import Actor, order_move

logger = logging.getLogger(__name__)


def order_start(*, user, course: Course) -> Order:
    """A pending order with a snapshot of what the learner is buying.

    A second press of Buy within the hour, for the same price, reuses the pending order,
    and with it (through Stripe's idempotency key) the same Checkout Session. The
    learner's row is locked so that concurrent presses see each other's order.
    """
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        return _order_start_locked(user=user, course=course)


def order_start_priced(*, user, course: Course, price_cents: int, note: str) -> Order:
    """A new pending order at a price other than the course's (a program's discount),
    for a checkout that pays several orders at once; `note` says why the price differs.
    Call with the learner's row locked (the caller reuses its own earlier orders)."""
    return _order_start_locked(user=user, course=course, price_cents=price_cents, note=note)


def _order_start_locked(
    *, user, course: Course, price_cents: int | None = None, note: str = ""
) -> Order:
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
        if price_cents is None
        else None
    )
    if recent is not None:
        return recent
    policies = ProgramPolicies.current()
    # The credit line the buyer's profession earns, as the checkout page showed it.
    credit = credit_for_learner(course, user, on=timezone.localdate())
    order = Order.objects.create(
        user=user,
        course=course,
        gateway=payments.gateway_for(course),
        course_title=course.title,
        price_cents=course.price_cents if price_cents is None else price_cents,
        currency=course.currency,
        ce_credits=credit.credits if credit else course.ce_credits,
        credit_type=f"{credit.unit} ({credit.body_abbreviation})"
        if credit
        else "hours of instruction (no approved CE credit for this profession)",
        refund_policy="\n\n".join(
            filter(
                None, [note, refunds.refund_rule_text(), policies and policies.refund_cancellation]
            )
        ),
    )
    status_start(order, actor=Actor.LEARNER, actor_user=user)
    event_log(
        "order.created",
        order=order.number,
        course=course.slug,
        amount_cents=order.price_cents,
        currency=order.currency,
        user_id=user.pk,
        **({"note": note} if note else {}),
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


def checkout_begin_together(*, orders: list[Order], cancel_path: str) -> str:
    """Pay several orders of one learner in one Checkout Session (a line per order);
    returns where to send the learner next. The same orders give the same session."""
    first = orders[0]
    total = sum(order.price_cents for order in orders)
    if total == 0:
        for order in orders:
            payment_record(order=order, reference="", amount_cents=0, actor=Actor.LEARNER)
        return reverse("enrollment:my_courses")
    if first.gateway == Gateway.DEMO:
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(
            stripe_checkout_session_id=f"cs_demo_{first.number}"
        )
        return reverse("enrollment:demo_checkout", kwargs={"number": first.number})
    site = settings.SITE_URL
    session = payments.stripe_gateway.checkout_session_create_for_orders(
        orders=[(o.number, o.course_title, o.price_cents) for o in orders],
        currency=first.currency,
        customer_email=first.user.email,
        success_url=f"{site}{reverse('enrollment:checkout_success')}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{site}{cancel_path}",
    )
    Order.objects.filter(
        pk__in=[o.pk for o in orders], stripe_checkout_session_id__isnull=True
    ).update(stripe_checkout_session_id=session.id)
    return session.url


def session_order_numbers(session: dict[str, Any]) -> list[str]:
    """The orders a Checkout Session pays: several (metadata order_numbers) or one."""
    metadata = session.get("metadata") or {}
    listed = str(metadata.get("order_numbers") or "").split()
    if listed:
        return listed
    number = session.get("client_reference_id") or metadata.get("order_number")
    return [number] if number else []


def checkout_session_fulfil(
    *, session: dict[str, Any], actor: str, event_id: str = ""
) -> Order | None:
    """Grant the course for a paid Checkout Session. Idempotent; webhook and success page.

    Returns the order when it is paid (now or before), None when the session is not paid
    yet or does not match its order (then the order is flagged for the director).
    """
    if session.get("payment_status") not in {"paid", "no_payment_required"}:
        return None
    numbers = session_order_numbers(session)
    paid_states = {OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    with transaction.atomic():
        found = list(Order.objects.select_for_update().filter(number__in=numbers).order_by("pk"))
        if not found or len(found) != len(set(numbers)):
            logger.warning("Checkout session %s names no known order", session.get("id"))
            return None
        first = next(o for o in found if o.number == numbers[0])
        if all(order.status in paid_states for order in found):
            return first
        problems = _session_mismatches(found, session)
        if problems:
            note = f"Checkout session {session.get('id')} not fulfilled: {'; '.join(problems)}."
            for order in found:
                if note not in order.attention_note:
                    order.needs_attention = True
                    order.attention_note = f"{order.attention_note}\n{note}".strip()
                    order.save(update_fields=["needs_attention", "attention_note", "updated_at"])
            logger.error(note)
            return None
        for order in found:
            if order.status in paid_states:
                continue
            order.stripe_checkout_session_id = session["id"]
            payment_record(
                order=order,
                reference=session.get("payment_intent") or "",
                # One order: what Stripe took (after any promotion code). Several: each
                # order's own price (their sum is the session's total, checked above).
                amount_cents=(session.get("amount_total") or 0)
                if len(found) == 1
                else order.price_cents,
                actor=actor,
                event_id=event_id,
            )
    return first


def _session_mismatches(found: list[Order], session: dict[str, Any]) -> list[str]:
    problems = []
    subtotal = sum(order.price_cents for order in found)
    for order in found:
        if order.stripe_checkout_session_id and order.stripe_checkout_session_id != session.get(
            "id"
        ):
            problems.append(
                f"order {order.number} was opened with session {order.stripe_checkout_session_id}"
            )
    if len({order.user_id for order in found}) != 1:
        problems.append("the orders belong to different learners")
    if len({order.currency for order in found}) != 1:
        problems.append("the orders are in different currencies")
    # Promotion codes lower amount_total; the price before discounts must be the orders'.
    if session.get("amount_subtotal") != subtotal:
        problems.append(
            f"amount {session.get('amount_subtotal')} differs from the orders' {subtotal}"
        )
    if len(found) > 1 and session.get("amount_total") != subtotal:
        problems.append("a discount on a session paying several orders cannot be split")
    if str(session.get("currency", "")).upper() != found[0].currency:
        problems.append(f"currency {session.get('currency')} differs from {found[0].currency}")
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
        event_log(
            "order.paid",
            order=order.number,
            amount_cents=amount_cents,
            currency=order.currency,
            gateway=order.gateway,
            payment=reference or "-",
            stripe_event=event_id or "-",
            actor=actor,
        )
        enrollment = _enroll(order)
        notifications.order_confirmation_send.enqueue(order_id=order.pk)
        if reference:
            refunds.deferred_refunds_apply(payment_intent=reference)
    return enrollment


def _enroll(order: Order) -> Enrollment:
    existing = Enrollment.objects.active().filter(user=order.user, course=order.course).first()
    if existing is not None:
        # Paid twice for a course already owned (two tabs, two devices): keep the one
        # enrollment and give the second payment back, automatically and in full.
        event_log("order.duplicate_payment", order=order.number, kept=existing.order.number)
        order.attention_note += f"\nPaid while already enrolled through {existing.order}."
        order.save(update_fields=["attention_note", "updated_at"])
        refunds.duplicate_payment_refund.enqueue(order_id=order.pk, kept_order_id=existing.order_id)
        return existing
    enrollment = Enrollment.objects.create(user=order.user, course=order.course, order=order)
    status_start(enrollment, actor=Actor.SYSTEM, note=f"Paid with order {order.number}")
    return enrollment


def order_close_unpaid(
    *, session: dict[str, Any], to: str, actor: str = Actor.WEBHOOK, event_id: str = ""
) -> Order | None:
    """An expired or failed Checkout Session closes its pending orders without access."""
    numbers = session_order_numbers(session)
    first = None
    with transaction.atomic():
        for order in Order.objects.select_for_update().filter(number__in=numbers).order_by("pk"):
            first = first or order
            if not order.can_move_to(to) or order.status != OrderStatus.PENDING:
                continue  # paid already, or closed already: nothing to do
            order_move(order=order, to=to, actor=actor, event_id=event_id)
            event_log("order.closed", order=order.number, status=to, stripe_event=event_id or "-")
    return first


def demo_payment_complete(*, order: Order) -> Order | None:
    """The demo gateway's Pay button: a session shaped like Stripe's, same fulfilment;
    it pays every order opened with the same demo session (a program's courses)."""
    together = demo_session_orders(order)
    amount = sum(o.price_cents for o in together)
    session = {
        "id": order.stripe_checkout_session_id or f"cs_demo_{order.number}",
        "payment_status": "paid",
        "client_reference_id": order.number,
        "metadata": {"order_numbers": " ".join(o.number for o in together)},
        "amount_subtotal": amount,
        "amount_total": amount,
        "currency": order.currency.lower(),
        "payment_intent": f"pi_demo_{order.number}",
    }
    return checkout_session_fulfil(session=session, actor=Actor.LEARNER)


def demo_session_orders(order: Order) -> list[Order]:
    """The orders the demo gateway's page pays together with `order` (itself included)."""
    if not order.stripe_checkout_session_id:
        return [order]
    return list(
        Order.objects.filter(
            user=order.user_id,
            stripe_checkout_session_id=order.stripe_checkout_session_id,
            gateway=Gateway.DEMO,
        ).order_by("pk")
    )


# Stripe lets a Checkout Session run for 24 hours; an order whose session is older than
# that (plus a margin for late webhooks) is settled by asking Stripe what became of it.
CHECKOUT_SESSION_LIFETIME = timedelta(hours=25)
# A pending order that never reached Stripe: Buy reuses it for an hour, then it is dead.
NEVER_STARTED_LIFETIME = timedelta(hours=2)


def orders_expire_stale(*, now=None) -> dict[str, list[str]]:
    """Close pending orders nobody will pay: the Checkout Session expired (the webhook
    that says so may have been lost) or checkout never started. A session Stripe reports
    as paid is fulfilled instead: money received always wins. Returns order numbers by
    outcome; safe to run at any time and twice."""
    now = now or timezone.now()
    outcome: dict[str, list[str]] = {"expired": [], "fulfilled": [], "open": [], "failed": []}
    stale = Order.objects.filter(status=OrderStatus.PENDING).filter(
        models.Q(
            stripe_checkout_session_id__isnull=True, created_at__lt=now - NEVER_STARTED_LIFETIME
        )
        | models.Q(
            stripe_checkout_session_id__isnull=False,
            created_at__lt=now - CHECKOUT_SESSION_LIFETIME,
        )
    )
    for order in stale.order_by("created_at"):
        session_id = order.stripe_checkout_session_id
        if session_id and order.gateway == Gateway.STRIPE:
            try:
                session = payments.stripe_gateway.checkout_session_retrieve(session_id)
            except payments.stripe_gateway.StripeError:
                logger.exception("Could not ask Stripe about session %s", session_id)
                outcome["failed"].append(order.number)
                continue
            if checkout_session_fulfil(session=session, actor=Actor.SYSTEM):
                outcome["fulfilled"].append(order.number)
                continue
            if session.get("status") == "open":
                outcome["open"].append(order.number)
                continue
        closed = _order_expire(order=order)
        if closed:
            outcome["expired"].append(order.number)
    return outcome


def _order_expire(*, order: Order) -> bool:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.PENDING:
            return False  # paid or closed meanwhile
        order_move(
            order=order,
            to=OrderStatus.EXPIRED,
            actor=Actor.SYSTEM,
            note="Checkout expired or never started (housekeeping).",
        )
        event_log("order.closed", order=order.number, status=OrderStatus.EXPIRED, by="housekeeping")
    return True
