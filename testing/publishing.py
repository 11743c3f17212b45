"""What the post-test needs before a course may be sold (courses.services registry)."""

from django.db.models import Count, Q
from django.utils.text import Truncator

from courses.models import Course

from .models import Question, TestRules


def question_bank_problems(*, active: int, per_attempt: int | None) -> list[str]:
    """The bank-size rule, shared by the publishing rule and the test-rules form."""
    if active == 0:
        return ["its post-test has no active question"]
    if per_attempt is not None and per_attempt > active:
        return [
            f"its post-test draws {per_attempt} questions per attempt but only {active} "
            f"{'is' if active == 1 else 'are'} active"
        ]
    return []


def post_test_rule(course: Course) -> list[str]:
    """An active question bank at least as large as the per-attempt count, and every
    active question with two or more choices and exactly one marked correct."""
    questions = list(
        Question.objects.active()
        .filter(course=course)
        .annotate(
            n_choices=Count("choices"),
            n_correct=Count("choices", filter=Q(choices__is_correct=True)),
        )
        .values_list("text", "n_choices", "n_correct")
    )
    per_attempt = (
        TestRules.objects.filter(course=course)
        .values_list("questions_per_attempt", flat=True)
        .first()
    )
    problems = question_bank_problems(active=len(questions), per_attempt=per_attempt)
    broken = [text for text, choices, correct in questions if choices < 2 or correct != 1]
    problems += [
        f"post-test question “{Truncator(text).chars(50)}” needs two or more choices with "
        "exactly one correct"
        for text in broken[:3]
    ]
    if len(broken) > 3:
        problems.append(f"{len(broken) - 3} more post-test questions need the same")
    return problems
