import pytest

from certificates import services
from certificates.facts import Holder
from testing import services as testing_services
from testing.models import EvaluationItem, EvaluationResponse
from tests.testing.conftest import answers_for, bank, evaluation_items, ready  # noqa: F401


@pytest.fixture
def completed(ready, bank, evaluation_items, django_capture_on_commit_callbacks):  # noqa: F811
    """A learner who passed the post-test and submitted the evaluation."""
    attempt = testing_services.attempt_start(enrollment=ready)
    posted = {int(k[1:]): v for k, v in answers_for(attempt, bank, len(bank)).items()}
    testing_services.attempt_submit(attempt=attempt, user=ready.user, posted=posted)
    with django_capture_on_commit_callbacks(execute=True):
        testing_services.evaluation_submit(
            enrollment=ready,
            user=ready.user,
            data={f"item_{i.pk}": "5" for i in EvaluationItem.objects.filter(kind="rating")},
        )
    assert EvaluationResponse.objects.filter(enrollment=ready).exists()
    return ready


def confirm_and_issue(enrollment):
    """What the learner's "Issue my certificate" button does."""
    enrollment.user.refresh_from_db()
    return services.certificate_issue(
        enrollment=enrollment, confirmed_fingerprint=Holder.of(enrollment.user).fingerprint
    )


@pytest.fixture
def certificate(completed):
    return confirm_and_issue(completed)


__all__ = ["confirm_and_issue", "services"]
