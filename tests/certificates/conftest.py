import pytest
from django.core.cache import caches

from certificates import services
from certificates.facts import Holder
from demo.journeys import journey_evaluate, journey_pass
from testing.models import EvaluationResponse
from tests.testing.conftest import answers_for, bank, evaluation_items, ready  # noqa: F401


@pytest.fixture(autouse=True)
def _no_cached_state(request):
    """Each test starts from an empty default cache, whatever ran before it: lookup
    counters (the verification limit, per address and minute) and "PDF requested" marks
    that a transactional test committed to the cache table survive its flush (the table is
    no model), and in the full suite they made later tests here meet a 429 or no render."""
    if request.node.get_closest_marker("django_db"):  # the cache is a database table
        caches["default"].clear()


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
