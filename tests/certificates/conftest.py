import pytest

from certificates import services
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


@pytest.fixture
def certificate(completed):
    return completed.certificates.get()


__all__ = ["services"]
