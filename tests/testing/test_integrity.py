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
