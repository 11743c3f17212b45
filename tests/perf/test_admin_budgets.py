"""Admin change lists cost the same number of queries with 50 rows as with 1."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from demo import growth
from enrollment.models import Refund, RefundRequest
from testing.models import Attempt
from tests.factories import (
    CourseInstructorFactory,
    QuestionFactory,
    SectionFactory,
    StaffFactory,
    UserFactory,
)

CHANGELISTS = [
    "admin:enrollment_order_changelist",
    "admin:enrollment_refund_changelist",
    "admin:enrollment_refundrequest_changelist",
    "admin:enrollment_enrollment_changelist",
    "admin:certificates_certificate_changelist",
    "admin:courses_course_changelist",
    "admin:courses_instructor_changelist",
    "admin:testing_question_changelist",
    "admin:testing_attempt_changelist",
    "admin:accounts_user_changelist",
]


def rows_add(count: int) -> None:
    """`count` learners, each with a course, an order, an enrollment, a certificate, an
    open refund request, a refund, a submitted attempt, a section, a question and an
    instructor of their own."""
    courses = growth.courses_published(count)
    for course in courses:
        enrollment = growth.learner_history(UserFactory(), [course])[0]
        RefundRequest.objects.create(order=enrollment.order, reason="Changed my mind.")
        Refund.objects.create(order=enrollment.order, amount_cents=100, reason="x")
        Attempt.objects.create(
            enrollment=enrollment, number=1, status=Attempt.Status.SUBMITTED,
            question_ids=[], choice_ids={}, submitted_at=timezone.now(), score=100, passed=True,
        )  # fmt: skip
        SectionFactory(course=course)
        QuestionFactory(course=course)
        CourseInstructorFactory(course=course)


@pytest.mark.parametrize("name", CHANGELISTS)
def test_admin_changelist_is_constant(client, policies, production_caches, name):
    director = StaffFactory()
    client.force_login(director)
    url = reverse(name)
    counts, shown = [], []
    for added in (1, 49):
        rows_add(added)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        counts.append(len(ctx))
        shown.append(len(response.context["cl"].result_list))
    assert shown[1] - shown[0] >= 49
    assert counts[0] == counts[1], (counts, [q["sql"][:120] for q in ctx.captured_queries])
