"""Attempts and evaluations in admin: read-only records, voiding, permissions, accommodations."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from testing import services
from testing.models import Attempt, EvaluationResponse, TimeAccommodation
from tests.factories import StaffFactory, UserFactory
from tests.testing.conftest import answers_for

pytestmark = pytest.mark.django_db


def staff_with(*codenames: str):
    """A staff account (not a superuser) holding just these testing permissions."""
    user = StaffFactory(is_superuser=False)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="testing", codename__in=codenames)
    )
    return user


@pytest.fixture
def evaluated(client, ready, bank, evaluation_items):
    attempt = services.attempt_start(enrollment=ready)
    posted = {int(k[1:]): v for k, v in answers_for(attempt, bank, 4).items()}
    services.attempt_submit(attempt=attempt, user=ready.user, posted=posted)
    first, second, comments = evaluation_items
    services.evaluation_submit(
        enrollment=ready,
        user=ready.user,
        data={f"item_{first.pk}": "5", f"item_{second.pk}": "4", f"item_{comments.pk}": "Good"},
    )
    return ready


@pytest.mark.parametrize("name", ["testing_evaluation_summary", "testing_evaluation_csv"])
def test_evaluation_exports_need_their_permission(client, evaluated, name):
    url = reverse(f"admin:{name}", args=[evaluated.course.pk])
    client.force_login(staff_with("view_evaluationresponse"))
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    listing = client.get(reverse("admin:testing_evaluationresponse_changelist"))
    assert listing.status_code == HTTPStatus.OK
    assert b"Results:" not in listing.content
    client.force_login(staff_with("view_evaluationresponse", "export_evaluations"))
    assert client.get(url).status_code == HTTPStatus.OK
    listing = client.get(reverse("admin:testing_evaluationresponse_changelist"))
    assert f"Results: {evaluated.course.title} (1)".encode() in listing.content


def test_summary_of_an_unknown_course_is_404(client, director):
    client.force_login(director)
    for name in ("testing_evaluation_summary", "testing_evaluation_csv"):
        response = client.get(reverse(f"admin:{name}", args=[999999]))
        assert response.status_code == HTTPStatus.NOT_FOUND


def test_evaluation_summary_has_a_query_budget(
    client, director, evaluated, django_assert_max_num_queries
):
    client.force_login(director)
    with django_assert_max_num_queries(10):
        response = client.get(
            reverse("admin:testing_evaluation_summary", args=[evaluated.course.pk])
        )
    assert b"1 evaluation submitted" in response.content
    with django_assert_max_num_queries(8):
        csv = client.get(reverse("admin:testing_evaluation_csv", args=[evaluated.course.pk]))
    assert evaluated.user.email in csv.content.decode()


def test_evaluations_and_attempts_cannot_be_deleted_or_edited_in_admin(client, director, evaluated):
    client.force_login(director)
    response = EvaluationResponse.objects.get()
    attempt = Attempt.objects.get()
    for model, obj in (("evaluationresponse", response), ("attempt", attempt)):
        delete = client.post(
            reverse(f"admin:testing_{model}_delete", args=[obj.pk]), {"post": "yes"}
        )
        assert delete.status_code == HTTPStatus.FORBIDDEN
        page = client.get(reverse(f"admin:testing_{model}_change", args=[obj.pk])).content
        assert b'name="_save"' not in page
        listing = client.get(reverse(f"admin:testing_{model}_changelist")).content
        assert b'value="delete_selected"' not in listing
    assert EvaluationResponse.objects.count() == 1
    assert response.answers.count() == 3
    assert Attempt.objects.count() == 1
    assert attempt.answers.count() == 4


def test_attempt_page_shows_questions_and_letters_not_ids(client, director, ready, bank):
    attempt = services.attempt_start(enrollment=ready)
    data = answers_for(attempt, bank, 1)  # the first right, the others wrong
    posted = {int(k[1:]): v for k, v in data.items()}
    del posted[attempt.question_ids[-1]]  # and the last left unanswered
    services.attempt_submit(attempt=attempt, user=ready.user, posted=posted)
    client.force_login(director)
    with_ids = client.get(reverse("admin:testing_attempt_change", args=[attempt.pk]))
    page = with_ids.content.decode()
    by_id = {q.pk: q for q in bank}
    first = by_id[attempt.question_ids[0]]
    letter = data[f"q{first.pk}"]
    right = first.choices.get(is_correct=True).text
    assert (
        f"<td>{first.text}</td><td>{letter}: {right}</td><td>{letter}: {right}</td><td>correct</td>"
        in page
    )
    assert "<td>no answer</td>" in page
    assert page.count("<td>incorrect</td>") == 3
    assert " -> " not in page
    assert b'name="_save"' not in with_ids.content
    assert "Status history" in page or "status history" in page
    assert [c.to_status for c in attempt.status_changes.all()] == ["open", "submitted"]


def test_attempt_page_has_a_query_budget(
    client, director, ready, bank, django_assert_max_num_queries
):
    attempt = services.attempt_start(enrollment=ready)
    services.attempt_submit(attempt=attempt, user=ready.user, posted={})
    client.force_login(director)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("admin:testing_attempt_change", args=[attempt.pk]))
    assert response.status_code == HTTPStatus.OK


def void(client, attempt, reason: str, *, on_its_page: bool = False):
    if on_its_page:
        url = reverse("admin:testing_attempt_change", args=[attempt.pk])
        data = {"CHANGE_FORM-action": "void", "_selected_action": [attempt.pk]}
    else:
        url = reverse("admin:testing_attempt_changelist")
        data = {"action": "void", "_selected_action": [attempt.pk]}
    first = client.post(url, data)
    assert first.status_code == HTTPStatus.OK  # the page that asks for a reason
    assert b"Reason" in first.content
    return client.post(url, {**data, "confirm": "yes", "reason": reason}, follow=True)


@pytest.mark.parametrize("on_its_page", [False, True])
def test_director_voids_a_failed_attempt_with_a_reason_and_the_learner_may_retake(
    client, director, ready, bank, on_its_page
):
    from testing.models import TestRules as Rules

    Rules.objects.filter(course=ready.course).update(max_attempts=1)
    attempt = services.attempt_start(enrollment=ready)
    services.attempt_submit(attempt=attempt, user=ready.user, posted={})
    assert not services.attempt_eligibility(enrollment=ready).allowed
    client.force_login(director)
    response = void(client, attempt, "The page failed to load question 3.", on_its_page=on_its_page)
    assert b"voided." in response.content
    attempt.refresh_from_db()
    assert attempt.status == "voided"
    change = attempt.status_changes.last()
    assert (change.from_status, change.to_status, change.actor) == (
        "submitted",
        "voided",
        "director",
    )
    assert change.actor_user == director
    assert change.note == "The page failed to load question 3."
    eligibility = services.attempt_eligibility(enrollment=ready)
    assert eligibility.allowed
    assert eligibility.attempts_left == 1
    assert services.attempt_start(enrollment=ready).number == 2


def test_voiding_needs_a_reason(client, director, ready, bank):
    attempt = services.attempt_start(enrollment=ready)
    client.force_login(director)
    response = void(client, attempt, "")
    assert b"This field is required." in response.content
    attempt.refresh_from_db()
    assert attempt.is_open


def test_a_passed_attempt_cannot_be_voided(client, director, ready, bank):
    attempt = services.attempt_start(enrollment=ready)
    posted = {int(k[1:]): v for k, v in answers_for(attempt, bank, 4).items()}
    services.attempt_submit(attempt=attempt, user=ready.user, posted=posted)
    client.force_login(director)
    response = void(client, attempt, "By mistake")
    assert b"A passed attempt cannot be voided" in response.content
    attempt.refresh_from_db()
    assert attempt.status == "submitted"


def test_voiding_needs_the_change_permission(client, ready, bank):
    services.attempt_start(enrollment=ready)
    client.force_login(staff_with("view_attempt"))
    page = client.get(reverse("admin:testing_attempt_changelist")).content
    assert b'value="void"' not in page
    client.force_login(staff_with("view_attempt", "change_attempt"))
    page = client.get(reverse("admin:testing_attempt_changelist")).content
    assert b'value="void"' in page


def test_a_time_accommodation_names_the_learner_and_the_course(client, director, ready):
    client.force_login(director)
    url = reverse("admin:testing_timeaccommodation_add")
    page = client.get(url).content.decode()
    assert 'name="learner"' in page
    assert "admin-autocomplete" in page
    assert '<select name="enrollment"' not in page
    stranger = UserFactory()
    data = {"learner": stranger.pk, "course": ready.course.pk, "extra_minutes": "30"}
    response = client.post(url, data)
    assert f"{stranger} has no active enrollment in “{ready.course}”." in response.content.decode()
    response = client.post(url, {**data, "learner": ready.user.pk, "note": "ADA letter"})
    assert response.status_code == HTTPStatus.FOUND
    accommodation = TimeAccommodation.objects.get()
    assert accommodation.enrollment == ready
    response = client.post(url, {**data, "learner": ready.user.pk})
    assert b"already has a time accommodation" in response.content
    change = client.get(reverse("admin:testing_timeaccommodation_change", args=[accommodation.pk]))
    assert change.context["adminform"].form.initial["learner"] == ready.user.pk


def test_learner_and_course_autocomplete_answer_the_director(client, director, ready):
    client.force_login(director)
    for field, term, expected in (
        ("user", ready.user.email[:8], ready.user.email),
        ("course", ready.course.title[:6], ready.course.title),
    ):
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "enrollment", "model_name": "enrollment", "field_name": field,
             "term": term},
        )  # fmt: skip
        assert response.status_code == HTTPStatus.OK
        assert expected in [r["text"] for r in response.json()["results"]]
