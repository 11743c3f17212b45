import pytest

from courses.models import Section
from testing.models import Choice, EvaluationItem, Question
from testing.models import TestRules as Rules
from tests.factories import LearningObjectiveFactory


@pytest.fixture
def bank(paid_order):
    """Four questions, each tied to an objective, choices in bank order (a correct)."""
    course = paid_order.course
    questions = []
    for i in range(4):
        objective = LearningObjectiveFactory(course=course, text=f"objective {i}", order=i)
        question = Question.objects.create(
            course=course, order=i, text=f"Question {i}?", objective=objective
        )
        Choice.objects.bulk_create(
            Choice(question=question, order=j, text=f"Q{i} choice {j}", is_correct=j == 0)
            for j in range(3)
        )
        questions.append(question)
    Rules.objects.create(course=course)
    return questions


@pytest.fixture
def ready(paid_order, bank):
    """An enrollment whose learner has read the material (no sections: nothing to read)."""
    return paid_order.enrollment


@pytest.fixture
def with_section(paid_order):
    return Section.objects.create(course=paid_order.course, order=1, title="S", body="B")


@pytest.fixture
def evaluation_items(db):
    return [
        EvaluationItem.objects.create(prompt="Objectives met", kind="rating", order=1),
        EvaluationItem.objects.create(prompt="Relevance", kind="rating", order=2),
        EvaluationItem.objects.create(prompt="Comments", kind="text", order=3, required=False),
    ]


def letter_of(attempt, question, correct: bool = True) -> str:
    choice_ids = attempt.choice_ids[str(question.pk)]
    wanted = (
        question.choices.get(is_correct=True).pk
        if correct
        else next(c for c in choice_ids if c != question.choices.get(is_correct=True).pk)
    )
    return "abcdefgh"[choice_ids.index(wanted)]


def answers_for(attempt, questions, right: int) -> dict[str, str]:
    """POST data answering the attempt's questions: the first `right` correctly."""
    by_id = {q.pk: q for q in questions}
    data = {}
    for i, qid in enumerate(attempt.question_ids):
        data[f"q{qid}"] = letter_of(attempt, by_id[qid], correct=i < right)
    return data


__all__ = ["answers_for", "letter_of"]
