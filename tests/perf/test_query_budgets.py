"""Query budgets of every page, each with 1 and with 50 rows of what the page lists.

Learner pages at most 5 queries, anonymous pages at most 3 (rendered afresh: the page
cache off), verification at most 2, the media view's access check at most 2, and admin
change lists the same count with 1 row as with 50. Counted with the caches production
runs with (conftest.production_caches), where sessions and the lookup limiter live in
Redis and cost no SQL.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo import growth
from tests.factories import CourseApprovalFactory

COUNTS = [1, 50]


@pytest.fixture(params=COUNTS, ids=lambda n: f"{n}rows")
def rows(request):
    return request.param


@pytest.fixture
def history(production_caches, learner, policies, rows):
    """A learner with `rows` enrollments, certificates and orders; the first course has
    `rows` sections."""
    courses = growth.courses_published(rows)
    for course in courses[:1]:
        CourseApprovalFactory(course=course)
    growth.sections_add(courses[0], rows)
    enrollments = growth.learner_history(learner, courses)
    return enrollments


def count(client, url, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    return response, len(ctx)


LEARNER_BUDGET = 5


def test_learner_pages(client, history, rows):
    """Every learner page within 5 queries, with 1 and with 50 enrollments, certificates,
    orders and sections (the checklist, progress and certificate state included)."""
    enrollment = history[0]
    course = enrollment.course
    slug = course.slug
    sections = list(course.sections.all())
    assert len(sections) == rows
    assert len(history) == rows
    client.force_login(enrollment.user)
    urls = {
        "my courses": reverse("enrollment:my_courses"),
        "orders": reverse("enrollment:orders"),
        "order": enrollment.order.get_absolute_url(),
        "course home": reverse("enrollment:course_home", args=[slug]),
        "first section": reverse("enrollment:section", args=[slug, sections[0].pk]),
        "last section": reverse("enrollment:section", args=[slug, sections[-1].pk]),
        "test home": reverse("testing:home", args=[slug]),
        "transcript": reverse("certificates:transcript"),
        "certificate": reverse("certificates:course", args=[slug]),
    }
    client.get(urls["course home"])  # the course structure's first build, once per edit
    counts = {}
    for name, url in urls.items():
        response, counts[name] = count(client, url)
        assert response.status_code == HTTPStatus.OK, name
    assert all(n <= LEARNER_BUDGET for n in counts.values()), counts
