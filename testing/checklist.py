from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse

from enrollment.hooks import Step

from .models import Attempt, EvaluationResponse
from .services import passed_attempt


def learner_state() -> dict:
    """What the steps below read, as annotations of the enrollment (hooks.py)."""
    passed = Attempt.objects.filter(
        enrollment=OuterRef("pk"), passed=True, status=Attempt.Status.SUBMITTED
    ).order_by("number")
    return {
        "state_passed": Exists(passed),
        "state_passed_score": Subquery(passed.values("score")[:1]),
        "state_evaluated": Exists(EvaluationResponse.objects.filter(enrollment=OuterRef("pk"))),
    }


def post_test_and_evaluation_steps(enrollment) -> list[Step]:
    if hasattr(enrollment, "state_passed"):
        passed = (
            Attempt(score=enrollment.state_passed_score, passed=True)
            if enrollment.state_passed
            else None
        )
        evaluated = enrollment.state_evaluated
    else:
        passed = passed_attempt(enrollment)
        evaluated = EvaluationResponse.objects.filter(enrollment=enrollment).exists()
    slug = enrollment.course.slug
    return [
        Step(
            label="Pass the post-test",
            done=passed is not None,
            url=reverse("testing:home", args=[slug]),
            detail=f"Passed with {passed.score_display}" if passed else "",
            order=20,
        ),
        Step(
            label="Submit the course evaluation",
            done=evaluated,
            url=reverse("testing:evaluation", args=[slug]) if passed else "",
            detail="" if passed else "Opens after you pass the post-test",
            order=30,
        ),
    ]
