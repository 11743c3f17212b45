import csv
import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from testing import services
from testing.models import Question

pytestmark = pytest.mark.django_db


def question_form(course, choices, correct_index):
    data = {
        "course": course.pk,
        "order": "1",
        "text": "A new question?",
        "explanation": "",
        "choices-TOTAL_FORMS": str(len(choices)),
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
    }
    for i, text in enumerate(choices):
        data[f"choices-{i}-order"] = str(i)
        data[f"choices-{i}-text"] = text
        if i == correct_index:
            data[f"choices-{i}-is_correct"] = "on"
    return data


@pytest.mark.parametrize(
    ("choices", "correct", "message"),
    [
        (["only"], 0, b"at least two choices"),
        (["a", "b", "c"], None, b"exactly one choice as correct"),
    ],
)
def test_question_needs_two_choices_and_exactly_one_correct(
    client, director, course, choices, correct, message
):
    client.force_login(director)
    response = client.post(
        reverse("admin:testing_question_add"), question_form(course, choices, correct)
    )
    assert message in response.content
    assert not Question.objects.exists()


def test_two_correct_choices_are_refused_by_the_database(course):
    from django.db import IntegrityError

    from testing.models import Choice

    question = Question.objects.create(course=course, text="Q?")
    Choice.objects.create(question=question, text="a", is_correct=True)
    with pytest.raises(IntegrityError):
        Choice.objects.create(question=question, text="b", is_correct=True)


def test_csv_export_then_import_round_trips(client, director, paid_order, bank):
    client.force_login(director)
    exported = client.post(
        reverse("admin:testing_question_changelist"),
        {"action": "export_csv", "_selected_action": [q.pk for q in bank]},
    ).content.decode()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 4
    assert all(row["correct"] == "a" for row in rows)
    upload = SimpleUploadedFile("q.csv", exported.encode(), content_type="text/csv")
    response = client.post(
        reverse("admin:testing_question_import"),
        {"course": paid_order.course.pk, "file": upload},
        follow=True,
    )
    assert b"0 question(s) imported; 4 already in the bank skipped" in response.content
    assert Question.objects.filter(course=paid_order.course).count() == 4
    Question.objects.all().update(retired_at="2026-01-01T00:00:00Z")
    upload = SimpleUploadedFile("q.csv", exported.encode(), content_type="text/csv")
    client.post(
        reverse("admin:testing_question_import"),
        {"course": paid_order.course.pk, "file": upload},
    )
    copy = Question.objects.active().get(text=bank[0].text)
    assert copy.choices.get(is_correct=True).text == bank[0].choices.get(is_correct=True).text
    assert copy.objective == bank[0].objective


def test_bad_csv_imports_nothing_and_names_the_row(client, director, course):
    client.force_login(director)
    text = "question,correct,choice_a,choice_b\nGood?,a,yes,no\nBad?,c,yes,no\n"
    response = client.post(
        reverse("admin:testing_question_import"),
        {"course": course.pk, "file": SimpleUploadedFile("q.csv", text.encode())},
    )
    assert b"Row 3" in response.content
    assert not Question.objects.exists()


def test_retired_question_is_no_longer_drawn_but_keeps_its_history(client, director, ready, bank):
    attempt = services.attempt_start(enrollment=ready)
    services.attempt_submit(attempt=attempt, user=ready.user, posted={})
    client.force_login(director)
    client.post(
        reverse("admin:testing_question_changelist"),
        {"action": "retire", "_selected_action": [bank[0].pk]},
    )
    bank[0].refresh_from_db()
    assert bank[0].retired_at is not None
    assert bank[0].answers.count() == 1
    second = services.attempt_start(enrollment=ready)
    assert bank[0].pk not in second.question_ids


@pytest.mark.parametrize(
    "name",
    [
        "admin:testing_question_changelist",
        "admin:testing_attempt_changelist",
        "admin:testing_evaluationresponse_changelist",
        "admin:testing_testrules_changelist",
    ],
)
def test_admin_lists_load_within_budget(
    client, director, ready, bank, name, django_assert_max_num_queries
):
    client.force_login(director)
    with django_assert_max_num_queries(14):
        assert client.get(reverse(name)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("field", ["max_attempts", "questions_per_attempt", "time_limit_minutes"])
def test_zero_limits_are_refused(course, field):
    from django.db import IntegrityError

    from testing.models import TestRules as Rules

    with pytest.raises(IntegrityError):
        Rules.objects.create(course=course, **{field: 0})
