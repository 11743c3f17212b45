"""The question CSV import: what spreadsheets save, every bad row named, all or nothing."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from testing.models import Question
from tests.factories import LearningObjectiveFactory

pytestmark = pytest.mark.django_db

HEADER = ["question", "correct", "choice_a", "choice_b", "choice_c", "choice_d"]


def csv_text(rows: list[list[str]], separator: str = ",") -> str:
    return "\r\n".join(separator.join(row) for row in [HEADER, *rows]) + "\r\n"


def upload(client, course, data: bytes, name: str = "questions.csv"):
    return client.post(
        reverse("admin:testing_question_import"),
        {"course": course.pk, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
        follow=True,
    )


def file_errors(response) -> list[str]:
    return response.context["form"].errors["file"]


@pytest.fixture
def director_client(client, director):
    client.force_login(director)
    return client


def test_a_blank_choice_between_filled_ones_is_refused_naming_row_and_column(
    director_client, course
):
    data = csv_text([["Fine?", "a", "yes", "no", "", ""], ["Gap?", "d", "yes", "", "maybe", "no"]])
    errors = file_errors(upload(director_client, course, data.encode()))
    assert errors[0] == "Nothing was imported. Fix these rows and try again:"
    assert errors[1].startswith("Row 3, column choice_b: this choice is blank but a later one")
    assert len(errors) == 2
    assert not Question.objects.exists()


def test_a_key_pointing_at_a_blank_choice_is_refused(director_client, course):
    data = csv_text([["Which?", "c", "yes", "no", "", ""]])
    errors = file_errors(upload(director_client, course, data.encode()))
    assert errors[1] == "Row 2, column correct: “c” points at choice_c, which is blank."
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["", "a", "yes", "no", "", ""], "Row 2, column question: the question is blank."),
        (["Q?", "a", "yes", "", "", ""], "Row 2, column choice_b: a question needs at least two"),
        (["Q?", "", "yes", "no", "", ""], "Row 2, column correct: give the letter of the right"),
        (["Q?", "yes", "yes", "no", "", ""], "Row 2, column correct: “yes” is not a choice letter"),
        (["Q?", "a", "x" * 501, "no", "", ""], "Row 2, column choice_a: the choice is longer"),
    ],
)
def test_each_kind_of_bad_row_is_named(director_client, course, row, message):
    errors = file_errors(upload(director_client, course, csv_text([row]).encode()))
    assert errors[1].startswith(message), errors


def test_every_bad_row_is_listed_and_one_bad_row_imports_nothing(director_client, course):
    rows = [["Good?", "a", "yes", "no", "", ""]] * 3 + [["Bad?", "z", "yes", "no", "", ""]] * 25
    errors = file_errors(upload(director_client, course, csv_text(rows).encode()))
    assert errors[1].startswith("Row 5, column correct:")
    assert errors[-1] == "… and 5 more problems."
    assert not Question.objects.exists()


def test_an_unknown_objective_and_a_bad_order_are_refused(director_client, course):
    LearningObjectiveFactory(course=course, order=1)
    text = "order,question,objective,correct,choice_a,choice_b\nfirst,Q?,7,a,yes,no\n"
    errors = file_errors(upload(director_client, course, text.encode()))
    assert (
        "Row 2, column objective: the course has no learning objective 7 (its objectives: 1 to 1)."
        in errors
    )
    assert "Row 2, column order: “first” is not a whole number from 0 to 32767." in errors


def test_a_cell_with_an_unquoted_separator_is_refused(director_client, course):
    text = "question,correct,choice_a,choice_b\nWhich?,a,Yes, always,No\n"
    errors = file_errors(upload(director_client, course, text.encode()))
    assert errors[1].startswith("Row 2 has 5 cells but the first row names 4 columns")
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [
        ("utf-8-sig", ","),  # Excel "CSV UTF-8"
        ("utf-8", ";"),  # a spreadsheet where the decimal mark is a comma
        ("cp1252", ","),  # Excel "CSV (Comma delimited)" on Windows
        ("cp1252", ";"),
        ("utf-16", "\t"),  # Excel "Unicode Text"
    ],
)
def test_excels_usual_encodings_and_separators_are_read(
    director_client, course, encoding, separator
):
    title = "Le caf\u00e9\u2019s \u201cbest\u201d choice?"  # curly quotes: cp1252 0x92-0x94
    rows = [
        [title, "B", "Crème", "Brûlée", "", ""],
        ["Second?", "a", "yes", "no", "", ""],
    ]
    response = upload(director_client, course, csv_text(rows, separator).encode(encoding))
    assert b"2 question(s) imported" in response.content
    question = Question.objects.get(text=title)
    assert question.choices.get(is_correct=True).text == "Brûlée"
    assert list(question.choices.values_list("text", flat=True)) == ["Crème", "Brûlée"]


def test_header_names_are_read_with_any_case_and_spaces(director_client, course):
    text = "Question;Correct;Choice A;Choice B\nWhich?;b;one;two\n"
    assert b"1 question(s) imported" in upload(director_client, course, text.encode()).content
    assert Question.objects.get().choices.get(is_correct=True).text == "two"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04" + bytes(200), "This is an Excel workbook, not a CSV file."),
        (b"\xd0\xcf\x11\xe0" + bytes(200), "This is an Excel workbook, not a CSV file."),
        (b"question,correct\x00", "This is not a CSV text file."),
        (b"question,correct,choice_a,choice_b\nQ\x81?,a,b,c\n", "an encoding we cannot read"),
        (b"question|correct|choice_a|choice_b\n", "separated by commas, semicolons or tabs"),
        (b"question,correct,choice_a\n", "Missing columns: choice_b (the columns are separated"),
        (b"", "file is empty"),
        (b"\r\n\r\n", "The file is empty: its first row must name the columns."),
        (b"question,correct,choice_a,choice_b\n,,,\n", "The file has no questions below"),
    ],
)
def test_files_that_cannot_be_read_are_refused_in_plain_words(
    director_client, course, data, message
):
    response = upload(director_client, course, data)
    assert response.status_code == HTTPStatus.OK
    assert any(message in error for error in file_errors(response)), file_errors(response)
    assert not Question.objects.exists()


def test_an_oversized_file_is_refused(director_client, course):
    data = csv_text([["Q?", "a", "yes", "no", "", ""]]).encode() + b" " * 2_000_001
    assert file_errors(upload(director_client, course, data)) == ["The file is larger than 2 MB."]


def test_an_apostrophe_is_kept_unless_it_guards_a_formula(director_client, course):
    text = "question,correct,choice_a,choice_b\n'Tis so?,a,'=1+1,'yes\n"
    upload(director_client, course, text.encode())
    question = Question.objects.get()
    assert question.text == "'Tis so?"
    assert list(question.choices.values_list("text", flat=True)) == ["=1+1", "'yes"]


def test_blank_trailing_rows_from_a_spreadsheet_are_ignored(director_client, course):
    data = csv_text([["Q?", "a", "yes", "no", "", ""], ["", "", "", "", "", ""]])
    assert b"1 question(s) imported" in upload(director_client, course, data.encode()).content
