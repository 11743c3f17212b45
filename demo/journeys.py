"""A learner's journey through the real services: buy, read, pass, evaluate, certificate.

One helper for the unit tests, the browser tests (which then do the remaining steps in
the browser) and bench/. Every step calls the same functions the views call, so nothing
is faked but the payment provider (see `journey_enroll`).
"""

from collections.abc import Callable
from typing import Any

from certificates.facts import Holder
from certificates.models import Certificate
from certificates.services import certificate_issue
from courses.models import Course
from enrollment import orders, progress
from enrollment.models import Enrollment
from records.models import Actor
from testing import services as testing_services
from testing.models import Attempt, EvaluationItem, Question

LETTERS = testing_services.LETTERS


def journey_enroll(
    *, user, course: Course, pay: Callable[[str], dict[str, Any]] | None = None
) -> Enrollment:
    """Buy the course. With `pay` (the tests' fake Stripe: session id -> paid session) the
    order goes through Stripe Checkout and the webhook's fulfilment; without it the
    payment is recorded directly, as the demo gateway does."""
    order = orders.order_start(user=user, course=course)
    if pay is None:
        return orders.payment_record(
            order=order,
            reference=f"pi_journey_{order.number}",
            amount_cents=order.price_cents,
            actor=Actor.SYSTEM,
        )
    orders.checkout_begin(order=order)
    order.refresh_from_db()
    paid = orders.checkout_session_fulfil(
        session=pay(order.stripe_checkout_session_id), actor=Actor.WEBHOOK
    )
    return paid.enrollment


def journey_read(*, enrollment: Enrollment) -> None:
    for section in enrollment.course.sections.all():
        progress.section_complete(enrollment=enrollment, section=section)


def correct_answers(attempt: Attempt) -> dict[int, str]:
    """The right letter for each question of the attempt, as the learner would pick."""
    answers = {}
    for question in Question.objects.filter(pk__in=attempt.question_ids):
        right = question.choices.get(is_correct=True).pk
        answers[question.pk] = LETTERS[attempt.choice_ids[str(question.pk)].index(right)]
    return answers


def journey_pass(*, enrollment: Enrollment) -> Attempt:
    attempt = testing_services.attempt_start(enrollment=enrollment)
    return testing_services.attempt_submit(
        attempt=attempt, user=enrollment.user, posted=correct_answers(attempt)
    )


def journey_evaluate(*, enrollment: Enrollment, rating: str = "5") -> None:
    testing_services.evaluation_submit(
        enrollment=enrollment,
        user=enrollment.user,
        data={f"item_{i.pk}": rating for i in EvaluationItem.objects.filter(kind="rating")},
    )


def journey_complete(
    *, user, course: Course, pay: Callable[[str], dict[str, Any]] | None = None
) -> Certificate:
    """The whole journey; returns the certificate (issued once the evaluation is in,
    as the evaluation's own hook would, also when no transaction commits in a test)."""
    enrollment = journey_enroll(user=user, course=course, pay=pay)
    journey_read(enrollment=enrollment)
    journey_pass(enrollment=enrollment)
    journey_evaluate(enrollment=enrollment)
    # The learner confirms the details printed (certificates' confirmation step).
    return certificate_issue(
        enrollment=enrollment, confirmed_fingerprint=Holder.of(user).fingerprint
    )
