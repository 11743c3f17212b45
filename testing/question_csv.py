"""Question bank as CSV: the export's columns are what the import reads back."""

import csv
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Choice, Question

LETTERS = "abcdefgh"
COLUMNS = ["order", "question", "explanation", "objective", "correct"] + [
    f"choice_{letter}" for letter in LETTERS
]


def safe_cell(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def export(questions: Iterable[Question], out) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for question in questions:
        choices = list(question.choices.all())
        correct = next((LETTERS[i] for i, c in enumerate(choices) if c.is_correct), "")
        writer.writerow(
            [
                question.order,
                safe_cell(question.text),
                safe_cell(question.explanation),
                question.objective.order if question.objective else "",
                correct,
                *[safe_cell(c.text) for c in choices],
                *[""] * (len(LETTERS) - len(choices)),
            ]
        )


def import_rows(*, course, reader: csv.DictReader) -> tuple[int, int]:
    """Add the rows as new questions of the course. All or nothing, with row numbers.

    A row whose question text the course's active bank already has is skipped, so that
    importing an export back does not double the bank. Returns (added, skipped).
    """
    missing = {"question", "correct", "choice_a", "choice_b"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(f"Missing columns: {', '.join(sorted(missing))}.")
    objectives = {str(o.order): o for o in course.objectives.all()}
    known = set(Question.objects.active().filter(course=course).values_list("text", flat=True))
    skipped = 0
    with transaction.atomic():
        count = 0
        for line, row in enumerate(reader, start=2):
            text = (row.get("question") or "").strip()
            choices = [(row.get(f"choice_{letter}") or "").strip() for letter in LETTERS]
            choices = [c.removeprefix("'") for c in choices if c]
            correct = (row.get("correct") or "").strip().lower()
            if not text or len(choices) < 2:
                raise ValidationError(
                    f"Row {line}: a question and at least two choices are needed."
                )
            if correct not in LETTERS[: len(choices)] or not correct:
                raise ValidationError(f"Row {line}: 'correct' must be one of the choice letters.")
            objective_key = (row.get("objective") or "").strip()
            if objective_key and objective_key not in objectives:
                raise ValidationError(f"Row {line}: the course has no objective {objective_key}.")
            if text.removeprefix("'") in known:
                skipped += 1
                continue
            known.add(text.removeprefix("'"))
            question = Question.objects.create(
                course=course,
                order=int(row.get("order") or 0) if (row.get("order") or "0").isdigit() else 0,
                text=text.removeprefix("'"),
                explanation=(row.get("explanation") or "").strip().removeprefix("'"),
                objective=objectives.get(objective_key),
            )
            Choice.objects.bulk_create(
                Choice(question=question, order=i, text=c, is_correct=LETTERS[i] == correct)
                for i, c in enumerate(choices)
            )
            count += 1
    return count, skipped
