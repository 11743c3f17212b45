import html
import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from courses.models import Course, ProgramPolicies
from demo.management.commands.seed_demo import SEED_OBJECTIVES, SEED_SLUG
from tests.factories import (
    CourseFactory,
    CourseInstructorFactory,
    LearningObjectiveFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    """Visible text of the page, tags removed and whitespace folded."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def fold(text: str) -> str:
    return " ".join(text.split())


def test_course_page_shows_every_fact_of_the_seed_page(client, seeded):
    response = client.get(reverse("courses:detail", args=[SEED_SLUG]))
    assert response.status_code == HTTPStatus.OK
    text = page_text(response)
    course = Course.objects.get(slug=SEED_SLUG)
    policies = ProgramPolicies.current()

    assert "Psychodynamics of the Therapeutic Relationship" in text
    assert "$119.00" in text
    assert "8 CE credits" in text or "CE credits 8" in text
    for link in course.course_approvals.select_related("approval"):
        assert fold(link.approval.statement) in text
    assert "8 CE credits (APA)" in text
    assert "8 contact hours (NBCC)" in text
    assert "at least 75%" in text
    assert "Intermediate" in text
    for objective in SEED_OBJECTIVES:
        assert fold(objective) in text
    assert "Michael J. Gerson, PhD" in text
    assert "California Lutheran University" in text
    for fact in [
        course.summary,
        course.target_audience,
        course.format_summary,
        course.schedule,
        course.conflict_of_interest,
        policies.diversity_accessibility,
        policies.sources_relevance,
        policies.refund_cancellation,
        policies.grievance,
    ]:
        for paragraph in fact.split("\n\n"):
            assert fold(paragraph) in text
    assert policies.contact_email in text
    assert "Certificate of Advanced Study in Psychoanalytic Psychotherapy" in text
    assert "no additional fees" in text


def test_course_page_has_title_description_and_structured_data(client, course):
    response = client.get(course.get_absolute_url())
    body = response.content.decode()
    assert f"<title>{course.title} (3 CE credits)" in body
    assert f'<meta name="description" content="{course.summary}">' in body
    assert '"@type": "Course"' in body
    assert '"price": "49.00"' in body


def test_structured_data_cannot_break_out_of_its_script_tag(client, policies):
    course = CourseFactory(title="</script><script>alert(1)</script>")
    body = client.get(course.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body


def test_draft_course_is_404_to_the_public(client, learner):
    draft = CourseFactory(draft=True)
    assert client.get(draft.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    client.force_login(learner)
    assert client.get(draft.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_staff_preview_a_draft_course(client, director, policies):
    draft = CourseFactory(draft=True)
    client.force_login(director)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
    assert b"Draft preview" in response.content
    assert b'content="noindex, nofollow"' in response.content


def test_instructor_page_lists_published_courses(client, policies):
    link = CourseInstructorFactory(course__title="Visible one")
    CourseInstructorFactory(instructor=link.instructor, course__title="Hidden", course__draft=True)
    response = client.get(link.instructor.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
    assert b"Visible one" in response.content
    assert b"Hidden" not in response.content


def test_unknown_instructor_is_404(client):
    response = client.get(reverse("courses:instructor", args=["nobody"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("count", [1, 50])
def test_course_page_query_budget_does_not_grow(
    client, policies, count, django_assert_max_num_queries
):
    course = CourseFactory()
    LearningObjectiveFactory.create_batch(count, course=course)
    CourseInstructorFactory.create_batch(count, course=course)
    for program in ProgramFactory.create_batch(min(count, 5)):
        program.courses.add(course)
    # course, instructors, objectives, programs, approvals, policies, test rules
    with django_assert_max_num_queries(7):
        response = client.get(course.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["instructors"]) == count


@pytest.mark.parametrize("count", [1, 50])
def test_instructor_page_query_budget_does_not_grow(
    client, policies, count, django_assert_max_num_queries
):
    first = CourseInstructorFactory()
    for _ in range(count - 1):
        CourseInstructorFactory(instructor=first.instructor)
    with django_assert_max_num_queries(4):
        response = client.get(first.instructor.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
