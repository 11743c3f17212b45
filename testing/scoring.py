"""Grading, as pure functions: no database, no clock (HOUSE_STYLE: pure rules, pure modules)."""

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Grade:
    score: Decimal  # percent, two decimals
    passed: bool
    correct: dict[int, bool]  # question id -> answered correctly


def grade(
    *, question_ids: list[int], answers: dict[int, int | None], key: dict[int, int], passing: int
) -> Grade:
    """Score an attempt. An unanswered question, or one without a key, counts as wrong."""
    if not question_ids:
        raise ValueError("an attempt needs at least one question")
    correct = {
        qid: answers.get(qid) is not None and answers.get(qid) == key.get(qid)
        for qid in question_ids
    }
    score = (Decimal(sum(correct.values())) * 100 / len(question_ids)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return Grade(score=score, passed=score >= passing, correct=correct)


def draw(
    *,
    question_ids: list[int],
    choices: dict[int, list[int]],
    count: int | None,
    shuffle_questions: bool,
    shuffle_choices: bool,
    rng: random.Random,
) -> tuple[list[int], dict[str, list[int]]]:
    """The questions of one attempt and each question's choice order."""
    pool = list(question_ids)
    if count is not None and count < len(pool):
        pool = rng.sample(pool, count)
        if not shuffle_questions:
            pool.sort(key=question_ids.index)
    elif shuffle_questions:
        rng.shuffle(pool)
    orders = {}
    for qid in pool:
        order = list(choices[qid])
        if shuffle_choices:
            rng.shuffle(order)
        orders[str(qid)] = order
    return pool, orders


def unanswered_positions(*, question_ids: list[int], answered: set[int]) -> list[int]:
    """The positions (from 1, as the page numbers them) of questions with no answer."""
    return [pos for pos, qid in enumerate(question_ids, start=1) if qid not in answered]
