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
        "course page, signed in": course.get_absolute_url(),
    }
    counts = {}
    for name, url in urls.items():
        # The first request builds the cached course data, once per edit of the course.
        client.get(url)
        response, counts[name] = count(client, url)
        assert response.status_code == HTTPStatus.OK, name
    assert all(n <= LEARNER_BUDGET for n in counts.values()), sorted(counts.items())


@pytest.fixture
def catalog(production_caches, policies, rows, settings):
    """`rows` published courses sharing one instructor; the page cache off, so that every
    request renders its page."""
    settings.PAGE_CACHE_SECONDS = 0
    courses = growth.courses_published(rows)
    instructor = courses[0].course_instructors.get().instructor
    for course in courses:
        course.course_instructors.update(instructor=instructor)
    CourseApprovalFactory(course=courses[0])
    return courses


def test_anonymous_pages(client, catalog, rows):
    """Catalog (one page of it), course page and instructor page (who lists every course)
    in at most 3 queries, rendered afresh; the verify form in none."""
    course = catalog[0]
    instructor = course.course_instructors.get().instructor
    urls = {
        "catalog": reverse("courses:catalog"),
        "catalog search": reverse("courses:catalog") + "?q=clinical&level=intermediate&page=2",
        "course": course.get_absolute_url(),
        "instructor": instructor.get_absolute_url(),
        "verify form": reverse("certificates:verify_form"),
    }
    counts = {}
    for name, url in urls.items():
        client.get(url)  # public course data is built once per catalog change
        response, counts[name] = count(client, url)
        assert response.status_code == HTTPStatus.OK, name
        if name != "verify form":  # its bulk-check form sets the CSRF cookie
            assert not response.cookies, name
    assert all(n <= 3 for n in counts.values()), counts
    assert counts["course"] == 0, counts
    assert len(client.get(urls["instructor"]).context["courses"]) == rows


def test_the_course_page_shows_an_edit_at_once(client, catalog):
    course = catalog[0]
    client.get(course.get_absolute_url())
    course.summary = "A summary edited by the director."
    course.save()
    assert b"A summary edited by the director." in client.get(course.get_absolute_url()).content
    link = course.course_approvals.get()
    link.approval.statement = "A corrected approval statement."
    link.approval.save()
    assert b"A corrected approval statement." in client.get(course.get_absolute_url()).content


def test_verification(client, history, rows):
    """The board's page and its JSON in at most 2 queries (the lookup limiter counts in the
    cache), whatever the number of certificates."""
    from certificates.models import Certificate

    certificate = Certificate.objects.filter(enrollment=history[-1]).get()
    for url in [
        reverse("certificates:verify", args=[certificate.display_code]),
        reverse("certificates:verify_json", args=[certificate.display_code]),
    ]:
        response, n = count(client, url)
        assert response.status_code == HTTPStatus.OK
        assert n <= 2, (url, n)


def test_media_access_check(client, history, rows, settings):
    """A course file's access check: the session's user and one query."""
    from django.core.files.base import ContentFile

    from courses.models import AudioTrack

    course = history[0].course
    track = None
    for section in course.sections.all()[:rows]:
        track = AudioTrack(course=course, section=section, title="T", transcript="t")
        track.file.save("t.mp3", ContentFile(b"0123456789"), save=True)
    client.force_login(history[0].user)
    url = reverse("enrollment:media", args=[course.slug, "audio", track.pk])
    response, n = count(client, url, HTTP_RANGE="bytes=0-3")
    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert b"".join(response.streaming_content) == b"0123"
    assert n <= 2
    other = growth.courses_published(1)[0]
    foreign = reverse("enrollment:media", args=[other.slug, "audio", track.pk])
    assert client.get(foreign).status_code == HTTPStatus.NOT_FOUND
