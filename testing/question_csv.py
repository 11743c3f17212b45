"""Question bank as CSV: the export's columns are what the import reads back.

The import takes what spreadsheets save: UTF-8 (with or without the byte-order mark that
Excel's "CSV UTF-8" writes), Windows-1252 (Excel's plain "CSV" on Windows) and UTF-16
(Excel's "Unicode Text"), separated by commas, semicolons (Excel where the decimal mark is
a comma) or tabs. Anything else is refused in plain words. Every row is checked before any
is written, and one bad row imports nothing: the message names each bad row and column.
"""

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from courses.models import Course

from .models import Choice, Question

LETTERS = "abcdefgh"
CHOICE_COLUMNS = [f"choice_{letter}" for letter in LETTERS]
COLUMNS = ["order", "question", "explanation", "objective", "correct", *CHOICE_COLUMNS]
REQUIRED = ["question", "correct", "choice_a", "choice_b"]
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}
MAX_BYTES = 2_000_000
MAX_ERRORS = 20
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SAVE_AS_CSV = (
    "In Excel choose File, then Save As, pick “CSV UTF-8 (Comma delimited)” and import that file."
)


def safe_cell(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def _unsafe_cell(value: str) -> str:
    """Undo safe_cell: drop the apostrophe it added, and only that one."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


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


@dataclass(frozen=True)
class ImportResult:
    added: int
    skipped: int  # already in the course's active bank


@dataclass
class _Row:
    line: int
    order: int
    text: str
    explanation: str
    objective_key: str
    choices: list[str]
    correct: int


def decode(data: bytes) -> str:
    """The file's text, or a refusal that says how to save it instead."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(f"This is an Excel workbook, not a CSV file. {SAVE_AS_CSV}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise ValidationError(f"This is not a CSV text file. {SAVE_AS_CSV}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ValidationError(
            f"The file's characters are in an encoding we cannot read. {SAVE_AS_CSV}"
        ) from None


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _header(text: str) -> tuple[str, list[str]]:
    """The separator and column names, found from the first row."""
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise ValidationError("The file is empty: its first row must name the columns.")
    found = {
        separator: [_column(name) for name in next(csv.reader([first], delimiter=separator))]
        for separator in SEPARATORS
    }
    separator = max(found, key=lambda s: len(set(found[s]) & set(COLUMNS)))
    names = found[separator]
    if len(set(names) & set(COLUMNS)) < 2:
        raise ValidationError(
            "The first row must name the columns (question, correct, choice_a, choice_b …), "
            "separated by commas, semicolons or tabs. This file's first row reads "
            f"“{first[:80]}”."
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ValidationError(
            f"Missing columns: {', '.join(missing)} (the columns are separated by "
            f"{SEPARATORS[separator]} in this file)."
        )
    return separator, names


def _check_row(line: int, row: dict[str, str], objectives: dict) -> tuple[_Row | None, list]:
    errors = []

    def problem(column: str, message: str) -> None:
        errors.append(f"Row {line}, column {column}: {message}")

    text = _unsafe_cell(row.get("question", "").strip())
    if not text:
        problem("question", "the question is blank.")
    cells = [row.get(column, "").strip() for column in CHOICE_COLUMNS]
    last_filled = max((i for i, cell in enumerate(cells) if cell), default=-1)
    for i, cell in enumerate(cells[:last_filled]):
        if not cell:
            problem(
                CHOICE_COLUMNS[i],
                "this choice is blank but a later one is filled. Fill the choices from "
                "choice_a on, without gaps, so that the letters stay right.",
            )
    choices = [_unsafe_cell(cell) for cell in cells[: last_filled + 1]]
    if last_filled < 1:
        problem("choice_b", "a question needs at least two choices.")
    for i, choice in enumerate(choices):
        if len(choice) > Choice._meta.get_field("text").max_length:
            problem(CHOICE_COLUMNS[i], "the choice is longer than 500 characters.")
    letters = f"a to {LETTERS[max(last_filled, 1)]}"
    raw_key = row.get("correct", "").strip()
    key = raw_key.lower()
    correct = -1
    if not key:
        problem("correct", f"give the letter of the right choice ({letters}).")
    elif len(key) != 1 or key not in LETTERS:
        problem("correct", f"“{raw_key}” is not a choice letter; use one of {letters}.")
    elif LETTERS.index(key) >= len(choices) or not choices[LETTERS.index(key)]:
        problem("correct", f"“{raw_key}” points at choice_{key}, which is blank.")
    else:
        correct = LETTERS.index(key)
    objective_key = row.get("objective", "").strip()
    if objective_key and objective_key not in objectives:
        have = f"1 to {len(objectives)}" if objectives else "none yet"
        problem(
            "objective",
            f"the course has no learning objective {objective_key} (its objectives: {have}).",
        )
    raw_order = row.get("order", "").strip()
    order = 0
    if raw_order:
        if not raw_order.isdigit() or int(raw_order) > 32767:
            problem("order", f"“{raw_order}” is not a whole number from 0 to 32767.")
        else:
            order = int(raw_order)
    if errors:
        return None, errors
    explanation = _unsafe_cell(row.get("explanation", "").strip())
    return _Row(line, order, text, explanation, objective_key, choices, correct), []


def questions_import(*, course: Course, data: bytes) -> ImportResult:
    """Add the file's rows as new questions of the course: all of them, or none.

    A row whose question text the course's active bank already has is skipped, so that
    importing an export back does not double the bank.
    """
    if len(data) > MAX_BYTES:
        raise ValidationError("The file is larger than 2 MB.")
    text = decode(data)
    separator, names = _header(text)
    objectives = {str(o.order): o for o in course.objectives.all()}
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    next(reader)
    rows, errors = [], []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # spreadsheets leave empty rows at the end
        if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names) :]):
            errors.append(
                f"Row {line} has {len(cells)} cells but the first row names {len(names)} "
                f"columns: a cell may hold a {SEPARATORS[separator][:-1]} without quotes "
                "around it."
            )
            continue
        row, problems = _check_row(line, dict(zip(names, cells, strict=False)), objectives)
        errors += problems
        if row is not None:
            rows.append(row)
    if errors:
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(f"… and {len(errors) - MAX_ERRORS} more problems.")
        raise ValidationError(["Nothing was imported. Fix these rows and try again:", *shown])
    if not rows:
        raise ValidationError("The file has no questions below its first row.")
    known = set(Question.objects.active().filter(course=course).values_list("text", flat=True))
    added = skipped = 0
    with transaction.atomic():
        for row in rows:
            if row.text in known:
                skipped += 1
                continue
            known.add(row.text)
            question = Question.objects.create(
                course=course,
                order=row.order,
                text=row.text,
                explanation=row.explanation,
                objective=objectives.get(row.objective_key),
            )
            Choice.objects.bulk_create(
                Choice(question=question, order=i, text=text, is_correct=i == row.correct)
                for i, text in enumerate(row.choices)
            )
            added += 1
    return ImportResult(added=added, skipped=skipped)
