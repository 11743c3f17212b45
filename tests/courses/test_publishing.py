"""The one registry of publishing rules, through the service and through admin."""

from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import AudioTrack, Course, Video
from testing.models import Choice, Question
from testing.models import TestRules as Rules
from tests.admin_forms import admin_form_data
from tests.factories import QuestionFactory, publishable_course

pytestmark = pytest.mark.django_db


def _no_objectives(course):
    course.objectives.all().delete()


def _no_instructor(course):
    course.course_instructors.all().delete()


def _no_section(course):
    course.sections.all().delete()


def _audio_without_transcript(course):
    track = AudioTrack(course=course, title="Talk")
    track.file.save("talk.mp3", ContentFile(b"x"), save=True)


def _video_without_captions(course):
    video = Video(course=course, title="Intro")
    video.file.save("intro.mp4", ContentFile(b"x"), save=True)


def _no_active_question(course):
    course.questions.update(retired_at=timezone.now())


def _bank_smaller_than_an_attempt(course):
    Rules.objects.create(course=course, questions_per_attempt=3)


def _question_without_key(course):
    question = QuestionFactory(course=course, text="Which one?")
    question.choices.update(is_correct=False)


BROKEN = [
    (_no_objectives, "it has no learning objectives"),
    (_no_instructor, "it has no instructor"),
    (_no_section, "it has no manuscript section"),
    (_audio_without_transcript, "audio “Talk” has no transcript"),
    (_video_without_captions, "video “Intro” has no captions"),
    (_no_active_question, "its post-test has no active question"),
    (_bank_smaller_than_an_attempt, "draws 3 questions per attempt but only 2 are active"),
    (_question_without_key, "question “Which one?” needs two or more choices with exactly one"),
]
IDS = [breaker.__name__.strip("_") for breaker, _ in BROKEN]


def test_each_app_registers_its_rules_once():
    names = [rule.__name__ for rule in services.publishing_rules]
    assert names == [
        "objectives_rule",
        "instructors_rule",
        "accessible_media_rule",
        "manuscript_rule",
        "post_test_rule",
    ]


def test_a_complete_course_passes_every_rule_and_publishes():
    course = publishable_course()
    assert services.course_publish(course=course) == []
    course.refresh_from_db()
    assert course.is_published


@pytest.mark.parametrize(("breaker", "problem"), BROKEN, ids=IDS)
def test_service_refuses_a_course_that_breaks_a_rule(breaker, problem):
    course = publishable_course()
    breaker(course)
    blockers = services.course_publish(course=course)
    assert any(problem in blocker for blocker in blockers), blockers
    course.refresh_from_db()
    assert not course.is_published


@pytest.mark.parametrize(("breaker", "problem"), BROKEN, ids=IDS)
def test_publish_action_refuses_a_course_that_breaks_a_rule(client, director, breaker, problem):
    course = publishable_course()
    breaker(course)
    client.force_login(director)
    response = client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish_courses", "_selected_action": [course.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert f"“{course}” was not published:" in page
    assert problem in page
    assert "course(s) published" not in page
    course.refresh_from_db()
    assert not course.is_published


@pytest.mark.parametrize(("breaker", "problem"), BROKEN, ids=IDS)
def test_course_form_refuses_to_publish_a_course_that_breaks_a_rule(
    client, director, policies, breaker, problem
):
    course = publishable_course()
    breaker(course)
    client.force_login(director)
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = {**admin_form_data(client.get(url)), "status": "published", "summary": "Changed."}
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert problem in response.context["adminform"].form.errors["status"][0]
    course.refresh_from_db()
    assert not course.is_published
    assert course.summary != "Changed."  # nothing of the refused save was kept


def test_course_form_refuses_an_edit_that_would_break_a_published_course(
    client, director, policies
):
    course = publishable_course(draft=False)
    client.force_login(director)
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = admin_form_data(client.get(url))
    data["sections-0-DELETE"] = "on"
    response = client.post(url, data)
    assert "it has no manuscript section" in response.context["adminform"].form.errors["status"][0]
    assert course.sections.count() == 1
    data.pop("sections-0-DELETE")
    data["status"] = "draft"
    assert client.post(url, data).status_code == HTTPStatus.FOUND  # a draft may be incomplete


def test_retiring_the_last_questions_of_a_published_course_is_refused(client, director):
    course = publishable_course(draft=False)
    client.force_login(director)
    response = client.post(
        reverse("admin:testing_question_changelist"),
        {"action": "retire", "_selected_action": [q.pk for q in course.questions.all()]},
        follow=True,
    )
    assert "were not retired" in response.content.decode()
    assert "its post-test has no active question" in response.content.decode()
    assert Question.objects.active().filter(course=course).count() == 2


def test_retiring_questions_of_a_draft_is_allowed(client, director):
    course = publishable_course()
    client.force_login(director)
    client.post(
        reverse("admin:testing_question_changelist"),
        {"action": "retire", "_selected_action": [q.pk for q in course.questions.all()]},
    )
    assert not Question.objects.active().filter(course=course).exists()


def test_deleting_a_question_a_published_course_needs_is_refused(client, director):
    course = publishable_course(draft=False)
    Rules.objects.create(course=course, questions_per_attempt=2)
    question = course.questions.first()
    client.force_login(director)
    response = client.post(
        reverse("admin:testing_question_delete", args=[question.pk]), {"post": "yes"}, follow=True
    )
    assert "Not deleted:" in response.content.decode()
    assert "draws 2 questions per attempt but only 1 is active" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()
    assert Choice.objects.filter(question=question).count() == 3


def test_a_change_is_not_blamed_for_problems_it_did_not_cause(client, director):
    course = publishable_course(draft=False)
    course.sections.all().delete()  # published before the rules existed, say
    QuestionFactory(course=course)
    client.force_login(director)
    client.post(
        reverse("admin:testing_question_changelist"),
        {"action": "retire", "_selected_action": [course.questions.last().pk]},
    )
    assert Question.objects.active().filter(course=course).count() == 2


def test_demo_published_courses_pass_every_rule(seeded):
    published = list(Course.objects.published())
    assert len(published) >= 3
    for course in published:
        assert services.course_publish_blockers(course=course) == [], course


def test_deleting_a_sold_course_explains_and_offers_to_unpublish(client, director, paid_order):
    from http import HTTPStatus

    from django.urls import reverse

    course = paid_order.course
    client.force_login(director)
    page = client.get(reverse("admin:courses_course_delete", args=[course.pk]))
    text = page.content.decode()
    assert "was sold, so it is not deleted" in text
    assert "permission to delete" not in text
    assert 'value="unpublish_courses"' in text
    assert client.post(reverse("admin:courses_course_delete", args=[course.pk]), {"post": "yes"})
    unpublish = client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "unpublish_courses", "_selected_action": [course.pk]},
    )
    assert unpublish.status_code == HTTPStatus.FOUND
    course.refresh_from_db()
    assert course.status == course.Status.DRAFT
    bulk = client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "delete_selected", "_selected_action": [course.pk], "post": "yes"},
        follow=True,
    )
    assert "Nothing was deleted" in bulk.content.decode()
    assert type(course).objects.filter(pk=course.pk).exists()


def test_a_course_never_sold_is_still_deleted(client, director, course):
    from django.urls import reverse

    client.force_login(director)
    url = reverse("admin:courses_course_delete", args=[course.pk])
    assert b"Are you sure" in client.get(url).content
    client.post(url, {"post": "yes"})
    assert not type(course).objects.filter(pk=course.pk).exists()
