"""Content history: what a learner saw on a date (django-simple-history)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from courses.history import course_as_of
from courses.models import Instructor, LearningObjective, Section
from tests.courses.test_admin import COURSE_FIELDS, NO_MEDIA, inline
from tests.factories import (
    CourseApprovalFactory,
    CourseInstructorFactory,
    InstructorFactory,
    LearningObjectiveFactory,
)

pytestmark = pytest.mark.django_db


def local(moment) -> str:
    """A moment as the director's datetime field sends it (local time, no offset)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")


def as_of_page(client, course, moment):
    return client.get(
        reverse("admin:courses_course_as_of", args=[course.pk]), {"when": local(moment)}
    )


def shown_content(response) -> str:
    """The content as it stood, without the change log listed below it."""
    return response.content.decode().split('id="changes-heading"')[0]


def edit_in_admin(client, course, objective, *, description, objective_text):
    """The director's change form, with the objectives inline, as a browser posts it."""
    link = course.course_instructors.get()
    data = {
        "title": course.title,
        "slug": course.slug,
        "status": course.status,
        **COURSE_FIELDS,
        "description": description,
        **inline("objectives", [{"id": objective.pk, "course": course.pk, "order": "1",
                                 "text": objective_text}]),
        **inline("course_instructors", [{"id": link.pk, "course": course.pk, "order": "1",
                                         "instructor": link.instructor_id}]),
        **NO_MEDIA,
    }  # fmt: skip
    data["objectives-INITIAL_FORMS"] = data["course_instructors-INITIAL_FORMS"] = "1"
    response = client.post(reverse("admin:courses_course_change", args=[course.pk]), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].errors


@pytest.fixture
def edited_course(client, director, course):
    """A course whose description and first objective the director changed after `before`.
    A draft: the publishing rules (manuscript, post-test) are not what these tests are about."""
    course.unpublish()
    objective = LearningObjectiveFactory(course=course, text="list seven levels of defenses,")
    CourseInstructorFactory(course=course, instructor=InstructorFactory(bio="Old biography."))
    Section.objects.create(course=course, order=1, title="Transference", body="## Old heading")
    course.description = "The old long description."
    course.save()
    before = timezone.now()
    client.force_login(director)
    edit_in_admin(
        client,
        course,
        objective,
        description="The new long description.",
        objective_text="name eight levels of defenses,",
    )
    return course, before


def test_as_of_view_shows_the_text_learners_saw_before_an_edit(client, edited_course):
    course, before = edited_course
    response = as_of_page(client, course, before)
    assert response.status_code == HTTPStatus.OK
    page = shown_content(response)
    assert "The old long description." in page
    assert "list seven levels of defenses," in page
    assert "The new long description." not in page
    assert "name eight levels of defenses," not in page
    assert "Old biography." in page
    assert "<h2>Old heading</h2>" in page


def test_as_of_view_after_the_edit_shows_the_new_text_and_who_saved_it(
    client, director, edited_course
):
    course, _ = edited_course
    page = shown_content(as_of_page(client, course, timezone.now()))
    assert "The new long description." in page
    assert "name eight levels of defenses," in page
    assert "The old long description." not in page
    assert f"by {director.email}" in page


def test_history_records_who_changed_the_course_and_the_objective(director, edited_course):
    course, _ = edited_course
    assert course.history.first().history_user == director
    assert LearningObjective.history.filter(course_id=course.pk).first().history_user == director


def test_a_removed_objective_and_a_changed_bio_show_as_they_were(course):
    kept = LearningObjectiveFactory(course=course, text="kept objective")
    dropped = LearningObjectiveFactory(course=course, text="dropped objective")
    link = CourseInstructorFactory(course=course, instructor=InstructorFactory(bio="First bio."))
    before = timezone.now()
    dropped.delete()
    link.instructor.bio = "Second bio."
    link.instructor.save()
    then = course_as_of(course=course, when=before)
    assert [o.text for o in then.objectives] == ["kept objective", "dropped objective"]
    assert [i.bio for i in then.instructors] == ["First bio."]
    now = course_as_of(course=course, when=timezone.now())
    assert [o.text for o in now.objectives] == [kept.text]
    assert [i.bio for i in now.instructors] == ["Second bio."]


def test_policies_on_the_course_page_keep_their_versions(course, policies):
    before = timezone.now()
    policies.refund_cancellation = "No refunds after thirty days."
    policies.save()
    assert course_as_of(course=course, when=before).policies.refund_cancellation == (
        "Full refund on request."
    )


def test_a_date_before_any_recorded_version_says_so(client, director, course):
    client.force_login(director)
    response = as_of_page(client, course, course.history.last().history_date - timedelta(days=1))
    assert response.status_code == HTTPStatus.OK
    assert b"No version of this course was recorded by" in response.content


def test_a_nonsense_date_is_refused_with_a_message(client, director, course):
    client.force_login(director)
    response = client.get(
        reverse("admin:courses_course_as_of", args=[course.pk]), {"when": "yesterday-ish"}
    )
    assert response.status_code == HTTPStatus.OK
    assert b"Enter a valid date/time." in response.content


def test_as_of_view_needs_the_view_permission_on_courses(client, course):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True))
    response = client.get(reverse("admin:courses_course_as_of", args=[course.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("rows", [1, 15])
def test_as_of_view_makes_the_same_queries_for_one_row_or_many(
    client, director, course, rows, django_assert_num_queries
):
    for i in range(rows):
        LearningObjectiveFactory(course=course)
        Section.objects.create(course=course, order=i, title=f"Part {i}", body="Body")
        CourseInstructorFactory(course=course)
    client.force_login(director)
    with django_assert_num_queries(18):
        response = as_of_page(client, course, timezone.now())
    assert response.content.count(b"<h4>Part ") == rows


def test_course_and_instructor_history_pages_open(client, director, course):
    instructor = InstructorFactory()
    instructor.bio = "Changed."
    instructor.save()
    client.force_login(director)
    for url in [
        reverse("admin:courses_course_history", args=[course.pk]),
        reverse("admin:courses_instructor_history", args=[instructor.pk]),
        reverse(
            "admin:courses_instructor_simple_history",
            args=[instructor.pk, instructor.history.first().history_id],
        ),
    ]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
    assert b"Revert" not in response.content


def test_course_change_form_links_to_the_content_on_a_date(client, director, course):
    client.force_login(director)
    response = client.get(reverse("admin:courses_course_change", args=[course.pk]))
    assert reverse("admin:courses_course_as_of", args=[course.pk]).encode() in response.content


def test_content_saved_before_history_began_gets_a_first_version(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate([("courses", "0004_approvals")])
    old = executor.loader.project_state([("courses", "0004_approvals")]).apps
    instructor = old.get_model("courses", "Instructor").objects.create(
        name="Ada", slug="ada", bio="Bio before history."
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    first = Instructor.history.get(id=instructor.pk)
    assert first.bio == "Bio before history."
    assert first.history_change_reason.startswith("History begins")


def test_saving_the_course_form_unchanged_records_no_text_change(client, director, course):
    """Browsers post textarea lines with CRLF; the stored text keeps LF."""
    course.unpublish()
    course.description = "First paragraph.\n\nSecond paragraph."
    course.save()
    objective = LearningObjectiveFactory(course=course)
    CourseInstructorFactory(course=course)
    client.force_login(director)
    edit_in_admin(
        client,
        course,
        objective,
        description="First paragraph.\r\n\r\nSecond paragraph.",
        objective_text=objective.text,
    )
    latest, previous = course.history.all()[:2]
    assert latest.history_user == director
    changed = latest.diff_against(previous).changed_fields
    assert "description" not in changed


def test_the_approval_statement_shows_as_the_course_page_carried_it(course):
    link = CourseApprovalFactory(course=course, course_number="C-1")
    before = timezone.now()
    link.approval.statement = "A reworded statement."
    link.approval.save()
    link.credits = 8
    link.save()

    def ours(moment):
        shown = course_as_of(course=course, when=moment).approvals
        return [(o.statement, o.line) for o in shown if o.approval_id == link.approval_id]

    assert ours(before) == [
        (
            "Test CE Sponsor is approved by the APA to sponsor continuing education.",
            "3 CE credits (APA)",
        )
    ]
    assert ours(timezone.now()) == [("A reworded statement.", "8 CE credits (APA)")]
