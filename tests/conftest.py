import io
import os

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test.utils import override_settings

from demo.journeys import journey_enroll
from enrollment.models import Order
from tests.factories import (
    CourseApprovalFactory,
    CourseFactory,
    ProgramPoliciesFactory,
    StaffFactory,
    UserFactory,
)
from tests.stripe_fake import start_fake_stripe


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each run gets its own test database (pytest-django creates and drops it), so two
    runs on one machine (two checkouts, CI beside a developer) never share one."""
    default = settings.DATABASES["default"]
    name = default.get("TEST", {}).get("NAME") or f"test_{default['NAME']}"
    default.setdefault("TEST", {})["NAME"] = f"{name}_{os.getpid()}"


@pytest.fixture(scope="session", autouse=True)
def _fast_test_settings():
    """Two costs production pays on purpose and the suite need not: a password hash that
    takes a deliberate fraction of a second (every factory user, every sign-in), and
    compressing every static file with gzip and Brotli at collectstatic. The suite keeps
    the manifest storage (hashed names, as production serves them)."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        },
    ):
        yield


@pytest.fixture(scope="session", autouse=True)
def _collected_static(_fast_test_settings):
    """Production uses the manifest storage; the suite does too, so collect once."""
    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test starts with no cached pages (the cache is per process, like a worker's)."""
    caches["pages"].clear()


@pytest.fixture(scope="session")
def _stripe_server():
    fake, server = start_fake_stripe()
    yield fake
    server.shutdown()


@pytest.fixture
def fake_stripe(_stripe_server):
    """The fake Stripe API, emptied for each test."""
    _stripe_server.reset()
    return _stripe_server


@pytest.fixture
def paid_order(db, learner, course, fake_stripe, django_capture_on_commit_callbacks):
    """An order paid through the real fulfilment path (Stripe Checkout, then the webhook)."""
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = journey_enroll(user=learner, course=course, pay=fake_stripe.pay)
    return Order.objects.get(pk=enrollment.order_id)


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def director(db):
    return StaffFactory(email="director@example.com")


@pytest.fixture
def policies(db):
    return ProgramPoliciesFactory()


@pytest.fixture
def course(db, policies):
    """A published course approved by APA for psychologists (3 CE credits)."""
    course = CourseFactory()
    CourseApprovalFactory(course=course)
    return course


@pytest.fixture
def seeded(db):
    """The demo catalog, loaded by the real seed_demo command."""
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
