"""Grading and drawing are pure functions: no database here."""

from decimal import Decimal
from random import Random

import pytest

from testing.scoring import draw, grade

KEY = {1: 11, 2: 21, 3: 31, 4: 41}


def test_all_correct_scores_100_and_passes():
    result = grade(question_ids=[1, 2, 3, 4], answers=dict(KEY), key=KEY, passing=75)
    assert result.score == Decimal("100.00")
    assert result.passed
    assert all(result.correct.values())


def test_exactly_the_passing_score_passes():
    answers = {1: 11, 2: 21, 3: 31, 4: 99}
    result = grade(question_ids=[1, 2, 3, 4], answers=answers, key=KEY, passing=75)
    assert result.score == Decimal("75.00")
    assert result.passed
    assert result.correct == {1: True, 2: True, 3: True, 4: False}


def test_just_below_the_passing_score_fails():
    result = grade(question_ids=[1, 2, 3], answers={1: 11, 2: 21}, key=KEY, passing=75)
    assert result.score == Decimal("66.67")
    assert not result.passed


def test_unanswered_and_unkeyed_questions_count_as_wrong():
    result = grade(question_ids=[1, 2, 5], answers={1: 11, 2: None, 5: 51}, key=KEY, passing=50)
    assert result.correct == {1: True, 2: False, 5: False}


def test_only_the_attempts_questions_count():
    result = grade(question_ids=[1], answers={1: 11, 2: 99, 3: 99}, key=KEY, passing=75)
    assert result.score == Decimal("100.00")


def test_an_attempt_without_questions_is_an_error():
    with pytest.raises(ValueError, match="at least one question"):
        grade(question_ids=[], answers={}, key=KEY, passing=75)


def test_draw_takes_the_requested_number_and_keeps_each_questions_choices():
    choices = {q: [q * 10 + i for i in range(4)] for q in range(1, 11)}
    questions, orders = draw(
        question_ids=list(range(1, 11)),
        choices=choices,
        count=5,
        shuffle_questions=True,
        shuffle_choices=True,
        rng=Random(1),
    )
    assert len(questions) == 5
    assert len(set(questions)) == 5
    for qid in questions:
        assert sorted(orders[str(qid)]) == choices[qid]


def test_draw_without_shuffling_keeps_the_bank_order():
    choices = {q: [q * 10, q * 10 + 1] for q in (1, 2, 3)}
    questions, orders = draw(
        question_ids=[1, 2, 3],
        choices=choices,
        count=None,
        shuffle_questions=False,
        shuffle_choices=False,
        rng=Random(1),
    )
    assert questions == [1, 2, 3]
    assert orders == {"1": [10, 11], "2": [20, 21], "3": [30, 31]}


def test_two_draws_differ_when_shuffled():
    choices = {q: [q] for q in range(1, 21)}
    first, _ = draw(
        question_ids=list(range(1, 21)),
        choices=choices,
        count=None,
        shuffle_questions=True,
        shuffle_choices=False,
        rng=Random(1),
    )
    second, _ = draw(question_ids=list(range(1, 21)), choices=choices, count=None,
                     shuffle_questions=True, shuffle_choices=False, rng=Random(2))  # fmt: skip
    assert first != second
