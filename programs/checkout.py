"""Buying a program's remaining courses in one Stripe Checkout.

Choice (issue 15): one Order per course, all paid by one Checkout Session with a line per
order (enrollment.orders.checkout_begin_together), linked by the session id and by a
ProgramPurchase. Each order keeps its own price, credits and refund rule, so a refund
stays exact per course and revokes only that course. The program's discount lowers each
line's unit amount in Stripe and each order's price in our records by the same cents;
no Stripe-side coupon or promotion code is involved.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from enrollment import orders
from enrollment.models import OrderStatus
from records.events import event_log

from .models import ProgramPurchase
from .progress import Progress


def discounted(price_cents: int, percent: int) -> int:
    """The course's price less the program's discount, rounded to the cent (half up)."""
    return price_cents - (price_cents * percent + 50) // 100


def offer(progress: Progress) -> dict | None:
    """What buying the remaining courses together costs: a line per course with its
    price and the program price, and the totals. None when nothing is left to buy or the
    courses are not in one currency."""
    steps = progress.to_buy
    if not steps or len({s.course.currency for s in steps}) != 1:
        return None
    percent = progress.program.discount_percent
    lines = [
        {
            "course": s.course,
            "price_cents": s.course.price_cents,
            "program_price_cents": discounted(s.course.price_cents, percent),
        }
        for s in steps
    ]
    total = sum(line["price_cents"] for line in lines)
    to_pay = sum(line["program_price_cents"] for line in lines)
    return {
        "lines": lines,
        "currency": steps[0].course.currency,
        "percent": percent,
        "total_cents": total,
        "to_pay_cents": to_pay,
        "saving_cents": total - to_pay,
    }


def program_checkout_begin(*, progress: Progress, user) -> str:
    """Open (or reopen, within the hour and at the same prices) the orders for the
    courses not owned yet, and start one checkout for them; returns the next URL."""
    found = offer(progress)
    if found is None:
        return progress.program.get_absolute_url()
    program = progress.program
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        purchase = _recent_purchase(program, user, found)
        if purchase is None:
            note = f"Bought with the other remaining courses of the {program.title}" + (
                f", {found['percent']}% program discount." if found["percent"] else "."
            )
            purchase = ProgramPurchase.objects.create(
                program=program, user=user, discount_percent=found["percent"]
            )
            opened = [
                orders.order_start_priced(
                    user=user,
                    course=line["course"],
                    price_cents=line["program_price_cents"],
                    note=note,
                )
                for line in found["lines"]
            ]
            purchase.orders.set(opened)
            event_log(
                "program.checkout",
                program=program.slug,
                user_id=user.pk,
                orders=",".join(o.number for o in opened),
                discount_percent=found["percent"],
                amount_cents=found["to_pay_cents"],
            )
        together = list(purchase.orders.select_related("user").order_by("pk"))
    return orders.checkout_begin_together(
        orders=together, cancel_path=reverse("programs:detail", args=[program.slug])
    )


def _recent_purchase(program, user, found: dict) -> ProgramPurchase | None:
    """A purchase opened within the hour for exactly these courses at these prices whose
    orders are all still pending: a double press or a return from Stripe's page."""
    wanted = {(line["course"].pk, line["program_price_cents"]) for line in found["lines"]}
    for purchase in ProgramPurchase.objects.filter(
        program=program, user=user, created_at__gte=timezone.now() - timedelta(hours=1)
    ).prefetch_related("orders"):
        rows = list(purchase.orders.all())
        if {(o.course_id, o.price_cents) for o in rows} == wanted and all(
            o.status == OrderStatus.PENDING for o in rows
        ):
            return purchase
    return None
