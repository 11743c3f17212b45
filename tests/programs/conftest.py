from decimal import Decimal

import pytest

from demo.journeys import journey_complete
from programs.models import ProgramCourse, ProgramCredential
from testing.models import Choice, EvaluationItem, Question
from testing.models import TestRules as Rules
from tests.factories import CourseApprovalFactory, CourseFactory, ProgramFactory


def completable_course(*, title: str, price_cents: int, credits: str):
    """A published, APA-approved course with a post-test the journeys can pass."""
    course = CourseFactory(title=title, price_cents=price_cents, ce_credits=Decimal(credits))
    CourseApprovalFactory(course=course, credits=Decimal(credits))
    for i in range(2):
        question = Question.objects.create(course=course, order=i, text=f"{title} Q{i}?")
        Choice.objects.bulk_create(
            Choice(question=question, order=j, text=f"choice {j}", is_correct=j == 0)
            for j in range(3)
        )
    Rules.objects.create(course=course)
    return course


@pytest.fixture
def evaluation_items(db):
    return [
        EvaluationItem.objects.create(prompt="Objectives met", kind="rating", order=1),
        EvaluationItem.objects.create(prompt="Comments", kind="text", order=2, required=False),
    ]


@pytest.fixture
def program(db, policies, evaluation_items):
    """Two required courses and two electives of which one completes the program; 10% off
    the remaining courses bought together."""
    program = ProgramFactory(
        title="Certificate of Advanced Study in Testing",
        electives_required=1,
        discount_percent=10,
        recognition_statement="Recognised by the Testing Board. (Test data.)",
    )
    rows = [
        ("Foundations", 11900, "8", True),
        ("Technique", 8900, "6", True),
        ("Elective A", 4900, "3", False),
        ("Elective B", 3900, "2", False),
    ]
    for position, (title, price, credits, required) in enumerate(rows, start=1):
        ProgramCourse.objects.create(
            program=program,
            course=completable_course(title=title, price_cents=price, credits=credits),
            position=position,
            required=required,
        )
    return program


def courses_of(program):
    return [m.course for m in program.memberships.order_by("position")]


@pytest.fixture
def complete(fake_stripe, django_capture_on_commit_callbacks):
    """Buy through (fake) Stripe Checkout, study, pass, evaluate and confirm one course."""

    def run(user, course):
        with django_capture_on_commit_callbacks(execute=True):
            return journey_complete(user=user, course=course, pay=fake_stripe.pay)

    return run


@pytest.fixture
def earned(program, learner, complete):
    """Both required courses and one elective completed: the program is complete, its
    credential issued and its PDF rendered and signed by the worker task."""
    foundations, technique, elective_a, _ = courses_of(program)
    certificates = [complete(learner, c) for c in (foundations, technique, elective_a)]
    return ProgramCredential.objects.get(user=learner, program=program), certificates
