import csv
import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from testing import services
from testing.models import Choice, Question
from testing.models import TestRules as Rules
from tests.admin_forms import admin_form_data
from tests.factories import CourseFactory, LearningObjectiveFactory, QuestionFactory

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
    assert b"Row 3, column correct" in response.content
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


def change_form(client, question) -> dict:
    return admin_form_data(client.get(reverse("admin:testing_question_change", args=[question.pk])))


@pytest.mark.parametrize("new_key", [1, 2])  # a row after the old key, and one further on
def test_director_moves_the_correct_answer_in_one_save(client, director, course, new_key):
    question = QuestionFactory(course=course)
    old, new = question.choices.order_by("order")[0], question.choices.order_by("order")[new_key]
    client.force_login(director)
    data = change_form(client, question)
    del data["choices-0-is_correct"]
    data[f"choices-{new_key}-is_correct"] = "on"
    response = client.post(reverse("admin:testing_question_change", args=[question.pk]), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"]
    assert list(question.choices.filter(is_correct=True)) == [new]
    old.refresh_from_db()
    assert not old.is_correct


def test_director_moves_the_key_to_an_earlier_row(client, director, course):
    question = QuestionFactory(course=course)
    question.choices.update(is_correct=False)
    last = question.choices.order_by("order").last()
    Choice.objects.filter(pk=last.pk).update(is_correct=True)
    client.force_login(director)
    data = change_form(client, question)
    del data["choices-2-is_correct"]
    data["choices-0-is_correct"] = "on"
    response = client.post(reverse("admin:testing_question_change", args=[question.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    assert question.choices.get(is_correct=True).order == 0


def test_director_deletes_the_correct_choice_and_marks_another_in_one_save(
    client, director, course
):
    question = QuestionFactory(course=course)
    client.force_login(director)
    data = change_form(client, question)
    data["choices-0-DELETE"] = "on"
    data["choices-3-text"] = "A brand-new right answer"
    data["choices-3-order"] = "3"
    data["choices-3-is_correct"] = "on"
    del data["choices-0-is_correct"]
    response = client.post(reverse("admin:testing_question_change", args=[question.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    assert question.choices.get(is_correct=True).text == "A brand-new right answer"
    assert question.choices.count() == 3


def test_two_keys_in_one_save_are_still_refused(client, director, course):
    question = QuestionFactory(course=course)
    client.force_login(director)
    data = {**change_form(client, question), "choices-1-is_correct": "on"}
    response = client.post(reverse("admin:testing_question_change", args=[question.pk]), data)
    assert b"Mark exactly one choice as correct (now 2)." in response.content
    assert question.choices.filter(is_correct=True).count() == 1


def test_objective_list_shows_only_the_questions_course(client, director, course):
    own = LearningObjectiveFactory(course=course, text="own objective")
    other = LearningObjectiveFactory(text="another course's objective")
    question = QuestionFactory(course=course)
    client.force_login(director)
    page = client.get(reverse("admin:testing_question_change", args=[question.pk]))
    choices = list(page.context["adminform"].form.fields["objective"].queryset)
    assert choices == [own]
    add = client.get(reverse("admin:testing_question_add") + f"?course={course.pk}")
    assert list(add.context["adminform"].form.fields["objective"].queryset) == [own]
    assert other.course != course


def test_an_objective_of_another_course_is_refused_on_the_add_page(client, director, course):
    other = LearningObjectiveFactory(text="another course's objective")
    client.force_login(director)
    data = {**question_form(course, ["a", "b"], 0), "objective": str(other.pk)}
    response = client.post(reverse("admin:testing_question_add"), data)
    assert "This learning objective belongs to another course" in response.content.decode()
    assert not Question.objects.exists()


def test_a_question_cannot_move_to_another_course(client, director, course):
    question = QuestionFactory(course=course)
    client.force_login(director)
    data = {**change_form(client, question), "course": str(CourseFactory().pk)}
    client.post(reverse("admin:testing_question_change", args=[question.pk]), data)
    question.refresh_from_db()
    assert question.course == course


def test_questions_per_attempt_larger_than_the_bank_is_refused(client, director, course):
    QuestionFactory.create_batch(3, course=course)
    QuestionFactory(course=course, retired_at=timezone.now())
    client.force_login(director)
    data = {"course": course.pk, "passing_score": "75", "wait_minutes": "0",
            "questions_per_attempt": "4", "shuffle_questions": "on"}  # fmt: skip
    response = client.post(reverse("admin:testing_testrules_add"), data)
    assert response.context["adminform"].form.errors["questions_per_attempt"] == [
        f"“{course}” has 3 active questions, so an attempt cannot draw 4. Add questions "
        "first, or enter 3 or less (empty: every active question)."
    ]
    assert not Rules.objects.exists()
    data["questions_per_attempt"] = "3"
    assert client.post(reverse("admin:testing_testrules_add"), data).status_code == 302
    assert Rules.objects.get().questions_per_attempt == 3


def test_question_list_has_no_bulk_delete_and_labels_its_order_cells(client, director, course):
    question = QuestionFactory(course=course, text="What is labelled?")
    client.force_login(director)
    page = client.get(reverse("admin:testing_question_changelist")).content.decode()
    assert 'value="delete_selected"' not in page
    assert f'aria-label="Order of “{question.text}”"' in page


@pytest.mark.parametrize("size", [1, 25])
def test_question_pages_have_a_query_budget(
    client, director, course, size, django_assert_max_num_queries
):
    questions = QuestionFactory.create_batch(size, course=course)
    LearningObjectiveFactory.create_batch(size, course=course)
    client.force_login(director)
    for url in (
        reverse("admin:testing_question_changelist"),
        reverse("admin:testing_question_change", args=[questions[0].pk]),
        reverse("admin:testing_question_add"),
        reverse("admin:testing_question_import"),
        reverse("admin:testing_testrules_add"),
        reverse("admin:testing_timeaccommodation_add"),
    ):
        with django_assert_max_num_queries(16):
            assert client.get(url).status_code == HTTPStatus.OK
