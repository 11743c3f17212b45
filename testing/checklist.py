from django.urls import reverse

from enrollment.hooks import Step

from .models import EvaluationResponse
from .services import passed_attempt


def post_test_and_evaluation_steps(enrollment) -> list[Step]:
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
