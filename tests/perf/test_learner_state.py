"""The course structure cache and the learner's state read in one query: what the pages
show stays right when the director edits a course and when the learner moves on."""

from http import HTTPStatus

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.journeys import journey_evaluate, journey_pass, journey_read
from tests.factories import SectionFactory


def test_an_edited_section_shows_at_once(client, paid_order, production_caches):
    course = paid_order.course
    section = SectionFactory(course=course, title="Before the edit")
    client.force_login(paid_order.user)
    home = reverse("enrollment:course_home", args=[course.slug])
    assert b"Before the edit" in client.get(home).content
    section.title = "After the edit"
    section.save()
    assert b"After the edit" in client.get(home).content
    added = SectionFactory(course=course, title="A new part")
    page = client.get(reverse("enrollment:section", args=[course.slug, added.pk]))
    assert page.status_code == HTTPStatus.OK
    assert b"A new part" in page.content
    url = reverse("enrollment:section", args=[course.slug, added.pk])
    added.delete()
    gone = client.get(url)
    assert gone.status_code == HTTPStatus.NOT_FOUND


def test_reading_a_section_writes_nothing(client, paid_order, production_caches):
    course = paid_order.course
    first, second = SectionFactory(course=course), SectionFactory(course=course)
    client.force_login(paid_order.user)
    client.get(reverse("enrollment:section", args=[course.slug, second.pk]))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("enrollment:section", args=[course.slug, first.pk]))
    assert response.status_code == HTTPStatus.OK
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in ctx.captured_queries)
    # Marking it read (POST) is what moves the place the course home resumes at.
    client.post(reverse("enrollment:section_done", args=[course.slug, first.pk]))
    paid_order.enrollment.refresh_from_db()
    assert paid_order.enrollment.last_section_id == second.pk


def test_the_checklist_follows_the_learner(
    client, paid_order, production_caches, django_capture_on_commit_callbacks
):
    """Each step's state comes from the one enrollment query (annotations), and is right
    before and after each step."""
    from tests.factories import QuestionFactory

    enrollment = paid_order.enrollment
    course = enrollment.course
    SectionFactory(course=course)
    QuestionFactory.create_batch(3, course=course)
    client.force_login(enrollment.user)
    home = reverse("enrollment:course_home", args=[course.slug])
    page = client.get(home).content.decode()
    assert "0 of 1 sections completed" in page
    assert "Opens after you pass the post-test" in page
    journey_read(enrollment=enrollment)
    journey_pass(enrollment=enrollment)
    page = client.get(home).content.decode()
    assert "1 of 1 sections completed" in page
    assert "Passed with 100%" in page
    with django_capture_on_commit_callbacks(execute=True):
        journey_evaluate(enrollment=enrollment)
    from certificates.models import Certificate
    from tests.certificates.conftest import confirm_and_issue

    with django_capture_on_commit_callbacks(execute=True):
        confirm_and_issue(enrollment)
    code = Certificate.objects.get(enrollment=enrollment).display_code
    page = client.get(home).content.decode()
    assert f"Code {code}" in page
    assert "Download your certificate" in page


def test_long_lists_come_a_page_at_a_time(client, learner, policies, production_caches):
    """50 courses: my courses, orders and the transcript's table show 25 rows a page; the
    transcript's totals still count every certificate."""
    from decimal import Decimal

    from demo import growth

    courses = growth.courses_published(50)
    growth.learner_history(learner, courses)
    client.force_login(learner)
    for name, key in [
        ("enrollment:my_courses", "enrollments"),
        ("enrollment:orders", "orders"),
        ("certificates:transcript", "certificates"),
    ]:
        first = client.get(reverse(name))
        second = client.get(reverse(name), {"page": 2})
        assert len(first.context[key]) == 25
        assert len(second.context[key]) == 25
        assert b"Page 1 of 2" in first.content
        assert b'rel="next"' in first.content
        assert {str(x.pk) for x in first.context[key]}.isdisjoint(
            str(x.pk) for x in second.context[key]
        )
    page = first  # the transcript's first page (asked again, it would come from the cache)
    total = sum((c.ce_credits for c in courses), Decimal(0))
    assert page.context["by_type"] == {"CE credits (American Psychological Association)": total}
    assert sum(page.context["by_year"].values()) == total
