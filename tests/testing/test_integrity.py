"""Post-test integrity: once graded, an attempt's stored answers never change."""

import threading
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from testing import services
from testing.models import Answer, Attempt, Choice, Question


def _bank(course, size=4):
    questions = []
    for i in range(size):
        question = Question.objects.create(course=course, order=i, text=f"Q{i}?")
        Choice.objects.create(question=question, order=0, text="right", is_correct=True)
        Choice.objects.create(question=question, order=1, text="wrong")
        questions.append(question)
    return questions


def _letters(attempt, *, correct: bool) -> dict[str, str]:
    data = {}
    for qid in attempt.question_ids:
        key = Choice.objects.get(question_id=qid, is_correct=True).pk
        order = attempt.choice_ids[str(qid)]
        wanted = key if correct else next(c for c in order if c != key)
        data[f"q{qid}"] = "ab"[order.index(wanted)]
    return data


def _stored_answers_match_the_grade(attempt: Attempt) -> None:
    key = dict(
        Choice.objects.filter(question_id__in=attempt.question_ids, is_correct=True).values_list(
            "question_id", "pk"
        )
    )
    answers = list(Answer.objects.filter(attempt=attempt))
    assert len(answers) == len(attempt.question_ids)
    for answer in answers:
        assert answer.is_correct == (answer.choice_id == key[answer.question_id])
    correct = sum(a.is_correct for a in answers)
    expected = (Decimal(correct) * 100 / len(answers)).quantize(Decimal("0.01"))
    assert attempt.score == expected


@pytest.mark.django_db(transaction=True)
def test_autosave_racing_the_submit_never_rewrites_a_graded_attempt(paid_order, fake_stripe):
    enrollment = paid_order.enrollment
    slug = enrollment.course.slug
    _bank(enrollment.course)
    for _round in range(6):
        attempt = services.attempt_start(enrollment=enrollment)
        right, wrong = _letters(attempt, correct=True), _letters(attempt, correct=False)
        barrier = threading.Barrier(2)
        statuses, errors = [], []

        def autosave(attempt=attempt, right=right, barrier=barrier, statuses=statuses,
                     errors=errors):  # fmt: skip
            client = Client()
            client.force_login(enrollment.user)
            url = reverse("testing:save", args=[slug, attempt.number])
            barrier.wait()
            try:
                for _ in range(12):
                    response = client.post(url, right, HTTP_ACCEPT="application/json")
                    statuses.append(response.status_code)
            except Exception as error:  # a 500 raises in the test client
                errors.append(error)
            finally:
                connection.close()

        def submit(attempt=attempt, wrong=wrong, barrier=barrier, statuses=statuses,
                   errors=errors):  # fmt: skip
            client = Client()
            client.force_login(enrollment.user)
            url = reverse("testing:submit", args=[slug, attempt.number])
            barrier.wait()
            try:
                statuses.append(client.post(url, wrong).status_code)
            except Exception as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=autosave), threading.Thread(target=submit)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.CONFLICT}
        attempt.refresh_from_db()
        assert attempt.status == "submitted"
        assert not attempt.passed  # the submit posted wrong answers for every question
        _stored_answers_match_the_grade(attempt)


@pytest.fixture
def graded(paid_order):
    """A learner's attempt, graded with every answer right."""
    _bank(paid_order.course, size=3)
    attempt = services.attempt_start(enrollment=paid_order.enrollment)
    answers = {int(k[1:]): v for k, v in _letters(attempt, correct=True).items()}
    return services.attempt_submit(attempt=attempt, user=paid_order.user, posted=answers)


def test_a_save_after_grading_is_refused_with_409_and_changes_nothing(client, graded):
    before = list(
        Answer.objects.filter(attempt=graded).values_list("choice", "is_correct", "saved_at")
    )
    client.force_login(graded.enrollment.user)
    response = client.post(
        reverse("testing:save", args=[graded.enrollment.course.slug, graded.number]),
        _letters(graded, correct=False),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {
        "saved": False,
        "error": "This attempt has been graded: its answers can no longer change.",
    }
    after = list(
        Answer.objects.filter(attempt=graded).values_list("choice", "is_correct", "saved_at")
    )
    assert after == before
    graded.refresh_from_db()
    _stored_answers_match_the_grade(graded)
    assert graded.passed


def test_the_service_refuses_a_late_save_under_the_lock(graded):
    with pytest.raises(services.AttemptClosed, match="has been graded"):
        services.answers_save(
            attempt=graded,
            user=graded.enrollment.user,
            posted={int(k[1:]): v for k, v in _letters(graded, correct=False).items()},
        )
    assert Answer.objects.filter(attempt=graded, is_correct=True).count() == 3


def test_a_tampered_save_is_a_400_not_a_409(client, paid_order):
    _bank(paid_order.course, size=2)
    attempt = services.attempt_start(enrollment=paid_order.enrollment)
    client.force_login(paid_order.user)
    response = client.post(
        reverse("testing:save", args=[paid_order.course.slug, attempt.number]),
        {f"q{attempt.question_ids[0]}": "z"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "That answer is not one of the choices offered."
    assert not Answer.objects.exists()
