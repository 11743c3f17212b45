import io
import logging
import os
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test.utils import override_settings
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from playwright.sync_api import sync_playwright

from demo.journeys import journey_enroll
from enrollment.models import Order
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import (
    CourseApprovalFactory,
    CourseFactory,
    ProgramPoliciesFactory,
    StaffFactory,
    UserFactory,
)
from tests.smtp_fake import FakeSMTP
from tests.stripe_fake import start_fake_stripe
from tests.testenv import free_port


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
def browser():
    """Debian's Chromium, one for the session (tests/browser.py)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.fixture
def database_tasks(transactional_db, settings):
    """Tasks go to the database queue, as in production; tests.background.conftest
    `run_worker` runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_BACKEND = "database"
    settings.TASK_RETRY_BASE_SECONDS = 0.3
    yield
    # The cache table is no model, so the transactional flush leaves what these tests
    # committed there (rate-limit counters) for later tests to trip over.
    caches["default"].clear()


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback (tests/smtp_fake.py), used through Django's backend."""
    server = FakeSMTP()
    server.start()
    settings.MAILERS = {"default": server.mailer}
    yield server
    server.release()
    server.stop()


@pytest.fixture
def s3():
    """moto's S3 server on loopback with two empty buckets; `.endpoint` to point at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    server.endpoint = f"http://{host}:{port}"
    server.bucket, server.private_bucket = "ce-test", "ce-test-private"
    client = boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    client.create_bucket(Bucket=server.bucket)
    client.create_bucket(Bucket=server.private_bucket)
    yield server
    server.stop()


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def events(self, name: str) -> list[dict]:
        """The fields of each records.events.event_log line called `name`."""
        return [
            r.fields
            for r in self.records
            if getattr(r, "event", None) == name and hasattr(r, "fields")
        ]


@pytest.fixture
def log_lines():
    """What the site's own loggers write (some do not propagate to the root logger)."""
    handler = ListHandler()
    loggers = [logging.getLogger(name) for name in ("ce.request", "ce.events", "ce.tasks")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)  # the suite runs at WARNING
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)
