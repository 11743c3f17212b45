from http import HTTPStatus

import pytest
from django.urls import reverse

from courses.models import Course
from tests.admin_forms import admin_form_data
from tests.factories import (
    CourseFactory,
    CourseInstructorFactory,
    InstructorFactory,
    QuestionFactory,
    publishable_course,
)

pytestmark = pytest.mark.django_db


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


# The course form's required facts, for tests that post it.
COURSE_FIELDS = {
    "summary": "S.",
    "description": "D.",
    "price": "10",
    "currency": "USD",
    "ce_credits": "1",
    "level": "introductory",
    "target_audience": "All.",
    "format_summary": "Text.",
    "schedule": "Any time.",
    "conflict_of_interest": "None.",
}
NO_MEDIA = {
    **inline("sections", []),
    **inline("audio_tracks", []),
    **inline("videos", []),
    **inline("course_approvals", []),
}


def test_director_creates_a_course_then_publishes_it_once_its_post_test_exists(
    client, director, policies
):
    instructor = InstructorFactory(name="Michael J. Gerson")
    client.force_login(director)
    data = {
        "title": "A new course",
        "slug": "a-new-course",
        "status": "draft",
        "summary": "Summary.",
        "description": "Description.",
        "price": "119.00",
        "currency": "USD",
        "ce_credits": "8.0",
        "level": "intermediate",
        "target_audience": "Psychologists.",
        "format_summary": "Manuscript, audio and video.",
        "schedule": "Any time.",
        "conflict_of_interest": "None.",
        **inline("objectives", [{"order": "1", "text": "list"}, {"order": "2", "text": "name"}]),
        **inline("course_instructors", [{"order": "1", "instructor": str(instructor.pk)}]),
        **NO_MEDIA,
        **inline("sections", [{"order": "1", "title": "Part one", "body": "Text."}]),
    }
    response = client.post(reverse("admin:courses_course_add"), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].errors
    course = Course.objects.get(slug="a-new-course")
    assert not course.is_published
    assert course.price_cents == 11900
    assert [o.text for o in course.objectives.all()] == ["list", "name"]
    assert list(course.instructors.all()) == [instructor]

    url = reverse("admin:courses_course_change", args=[course.pk])
    publish = {**admin_form_data(client.get(url)), "status": "published"}
    response = client.post(url, publish)
    assert b"its post-test has no active question" in response.content
    course.refresh_from_db()
    assert not course.is_published

    QuestionFactory.create_batch(2, course=course)
    response = client.post(url, publish)
    assert response.status_code == HTTPStatus.FOUND
    course.refresh_from_db()
    assert course.is_published
    assert course.published_at is not None
    assert client.get(course.get_absolute_url()).status_code == HTTPStatus.OK


def test_an_empty_course_cannot_be_published_and_the_form_says_why(client, director, policies):
    client.force_login(director)
    data = {
        "title": "Empty",
        "slug": "empty",
        "status": "published",
        **COURSE_FIELDS,
        **inline("objectives", []),
        **inline("course_instructors", []),
        **NO_MEDIA,
    }
    response = client.post(reverse("admin:courses_course_add"), data)
    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors["status"] == [
        "The course cannot be published yet: it has no learning objectives; it has no "
        "instructor; it has no manuscript section; its post-test has no active question. "
        "Nothing was saved: add what is missing, or save it as a draft."
    ]
    assert not Course.objects.exists()
    response = client.post(reverse("admin:courses_course_add"), {**data, "status": "draft"})
    assert response.status_code == HTTPStatus.FOUND
    assert Course.objects.get(slug="empty").status == "draft"


def test_publish_action_refuses_an_incomplete_course(client, director):
    draft = CourseFactory(draft=True, title="Incomplete")
    client.force_login(director)
    response = client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish_courses", "_selected_action": [draft.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    assert not draft.is_published
    page = response.content.decode()
    assert "no learning objectives" in page
    assert "course(s) published" not in page  # no green "0 course(s) published"


def test_publish_and_unpublish_actions(client, director):
    draft = publishable_course()
    client.force_login(director)
    url = reverse("admin:courses_course_changelist")
    response = client.post(
        url, {"action": "publish_courses", "_selected_action": [draft.pk]}, follow=True
    )
    assert b"1 course(s) published." in response.content
    draft.refresh_from_db()
    assert draft.is_published
    assert draft.published_at
    client.post(url, {"action": "unpublish_courses", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_published


def test_admin_is_for_staff_only(client, learner):
    client.force_login(learner)
    response = client.get(reverse("admin:courses_course_changelist"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))


def test_policies_cannot_be_added_twice(client, director, policies):
    client.force_login(director)
    response = client.get(reverse("admin:courses_programpolicies_add"))
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    "name",
    [
        "admin:courses_course_changelist",
        "admin:courses_instructor_changelist",
        "admin:programs_program_changelist",
        "admin:courses_programpolicies_changelist",
        "admin:accounts_user_changelist",
    ],
)
def test_admin_lists_load_within_a_query_budget(
    client, director, policies, name, django_assert_max_num_queries
):
    for link in CourseInstructorFactory.create_batch(20):
        link.course.programs.create(title=f"P{link.pk}", slug=f"p{link.pk}")
    client.force_login(director)
    with django_assert_max_num_queries(12):
        response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK


def test_admin_change_form_links_to_the_course_page(client, director, course):
    client.force_login(director)
    response = client.get(reverse("admin:courses_course_change", args=[course.pk]))
    assert response.status_code == HTTPStatus.OK
    assert b"View on site" in response.content
