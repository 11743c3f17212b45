import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from courses.models import Course, Instructor
from demo.management.commands.seed_demo import SEED_OBJECTIVES, SEED_SLUG
from programs.models import Program

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_the_seed_course(seeded):
    course = Course.objects.get(slug=SEED_SLUG)
    assert course.title == "Psychodynamics of the Therapeutic Relationship"
    assert course.price_cents == 11900
    assert course.currency == "USD"
    assert str(course.ce_credits) == "8.0"
    assert course.level == "intermediate"
    assert course.is_published
    assert [o.text for o in course.objectives.all()] == SEED_OBJECTIVES
    assert [i.name for i in course.instructors.all()] == ["Michael J. Gerson"]
    assert Course.objects.published().count() >= 3
    assert User.objects.get(email="director@example.com").is_staff
    assert not User.objects.get(email="learner@example.com").is_staff


def test_seed_demo_is_idempotent(seeded):
    counts = (Course.objects.count(), Instructor.objects.count(), Program.objects.count())
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    assert (Course.objects.count(), Instructor.objects.count(), Program.objects.count()) == counts
    assert Course.objects.get(slug=SEED_SLUG).objectives.count() == 10


def test_seed_demo_refuses_to_run_in_production(db):
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()


def test_seed_demo_gives_the_seed_course_playable_accessible_content(seeded):
    from courses.services import course_publish_blockers

    course = Course.objects.get(slug=SEED_SLUG)
    assert course.sections.count() == 5
    tracks = list(course.audio_tracks.all())
    assert len(tracks) == 2
    assert all(t.transcript and t.duration_seconds for t in tracks)
    video = course.videos.get()
    assert video.captions.storage.exists(video.captions.name)
    assert course_publish_blockers(course=course) == []


def test_seed_demo_has_a_question_for_every_objective_and_the_evaluation(seeded):
    from testing.models import EvaluationItem, Question

    course = Course.objects.get(slug=SEED_SLUG)
    questions = Question.objects.filter(course=course)
    assert questions.count() >= 10
    assert set(questions.values_list("objective__order", flat=True)) == set(range(1, 11))
    for question in questions:
        assert question.choices.filter(is_correct=True).count() == 1
    assert EvaluationItem.objects.filter(course=None, kind="rating").count() == 5


def test_seed_demo_course_carries_realistic_approvals_and_the_learner_sees_their_line(
    client, seeded
):
    from django.urls import reverse

    course = Course.objects.get(slug=SEED_SLUG)
    lines = {
        link.approval.body.abbreviation: f"{link.credits:f} {link.unit}"
        for link in course.course_approvals.select_related("approval__body")
    }
    assert lines == {
        "APA": "8.0 CE credits",
        "ASWB ACE": "8.0 CE hours",
        "NBCC": "8.0 contact hours",
        "CA BBS": "8.0 CE hours",
        "FL 491 Board": "8.0 CE hours",
    }
    learner = User.objects.get(email="learner@example.com")
    assert learner.license_jurisdiction == "CA"
    client.force_login(learner)
    page = client.get(reverse("courses:detail", args=[SEED_SLUG])).content.decode()
    assert "Your credit as a psychologist: <strong>8 CE credits (APA)</strong>" in page


def test_seed_demo_loads_the_seed_program(seeded):
    program = Program.objects.get(
        title="Certificate of Advanced Study in Psychoanalytic Psychotherapy"
    )
    rows = list(program.memberships.order_by("position").values_list("course__slug", "required"))
    assert rows[0] == (SEED_SLUG, True)
    assert [required for _, required in rows[1:]] == [False, False]
    assert program.electives_required == 1
    assert "Demo data" in program.recognition_statement
    learner = User.objects.get(email="learner@example.com")
    assert not learner.enrollments.exists()  # the tests' demo learner owns nothing


def test_seed_demo_with_learner_progress_shows_it(seeded, client):
    call_command("seed_demo", "--allow-production", "--learner-progress", stdout=io.StringIO())
    call_command("seed_demo", "--allow-production", "--learner-progress", stdout=io.StringIO())
    learner = User.objects.get(email="learner@example.com")
    assert learner.enrollments.count() == 1
    client.force_login(learner)
    page = client.get("/my/courses/").content.decode()
    assert "My programs" in page
    assert "Certificate of Advanced Study in Psychoanalytic Psychotherapy" in page
    assert "In progress" in page
