import pytest

from certificates import services
from certificates.facts import Holder
from demo.journeys import journey_evaluate, journey_pass
from testing.models import EvaluationResponse
from tests.testing.conftest import answers_for, bank, evaluation_items, ready  # noqa: F401


@pytest.fixture
def completed(ready, bank, evaluation_items, django_capture_on_commit_callbacks):  # noqa: F811
    """A learner who passed the post-test and submitted the evaluation."""
    journey_pass(enrollment=ready)
    with django_capture_on_commit_callbacks(execute=True):
        journey_evaluate(enrollment=ready)
    assert EvaluationResponse.objects.filter(enrollment=ready).exists()
    return ready


def confirm_and_issue(enrollment):
    """What the learner's "Issue my certificate" button does."""
    enrollment.user.refresh_from_db()
    return services.certificate_issue(
        enrollment=enrollment, confirmed_fingerprint=Holder.of(enrollment.user).fingerprint
    )


@pytest.fixture
def certificate(completed, django_capture_on_commit_callbacks):
    """Issued, and its PDF stored (the worker's job, run here when the issue commits)."""
    with django_capture_on_commit_callbacks(execute=True):
        certificate = confirm_and_issue(completed)
    certificate.refresh_from_db()
    return certificate


__all__ = ["confirm_and_issue", "services"]
