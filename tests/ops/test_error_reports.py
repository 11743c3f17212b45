import contextlib
import gzip
import logging
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http import HTTPStatus

import brotli
import pytest
from django.conf import settings
from django.core import mail
from django.test import RequestFactory

from ops import errorreports
from tests.ops.servers import ROOT, DatabaseRelay, SmtpSink, database_url, gunicorn, production_env

SMTP_DOWN = {
    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
}


@pytest.fixture
def reports(settings):
    """Error reports on, with a fresh rate limiter; mail goes to Django's outbox."""
    settings.ADMINS = ["ops@example.com"]
    settings.ERROR_REPORT_INTERVAL_SECONDS = 600
    errorreports.limiter = errorreports._Limiter()
    yield
    assert errorreports.reports_flushed()


def test_the_same_error_is_reported_once_per_interval_and_the_rest_are_counted():
    limiter = errorreports._Limiter()
    assert limiter.allow("a", interval=600) == 0
    assert limiter.allow("a", interval=600) is None
    assert limiter.allow("a", interval=600) is None
    assert limiter.allow("b", interval=600) == 0
    assert limiter.allow("a", interval=0) == 2  # interval over: says how many were held


@pytest.mark.urls("tests.ops.urls_failing")
def test_a_failing_page_is_reported_once_by_mail_outside_the_request(db, client, reports):
    client.raise_request_exception = False
    for _ in range(5):
        response = client.get("/failing/")
        assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
        assert b"Something went wrong" in response.content
    assert errorreports.reports_flushed()
    assert len(mail.outbox) == 1
    assert "RuntimeError" in mail.outbox[0].body
    assert "the renderer fell over" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["ops@example.com"]


@pytest.mark.urls("tests.ops.urls_failing")
def test_with_the_mail_server_down_a_failing_page_still_answers_the_500_page(
    db, client, reports, settings
):
    settings.MAILERS = {"default": SMTP_DOWN}
    client.raise_request_exception = False
    started = time.monotonic()
    response = client.get("/failing/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert b"Something went wrong" in response.content
    assert time.monotonic() - started < 2  # the report is not sent from the request


def test_a_request_for_an_unknown_host_is_logged_not_reported(db, client, reports, caplog):
    with caplog.at_level(logging.WARNING, logger="django.security.DisallowedHost"):
        response = client.get("/", HTTP_HOST="scanner.example.net")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert errorreports.reports_flushed()
    assert mail.outbox == []
    assert "scanner.example.net" in caplog.text


def test_the_handler_never_raises_into_the_request_even_when_reporting_breaks(reports, settings):
    settings.MAILERS = {"default": SMTP_DOWN}
    request = RequestFactory().get("/")
    try:
        raise ValueError("bad value")
    except ValueError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /", exc_info=True, extra={"request": request}
        )
    assert errorreports.reports_flushed()


@contextlib.contextmanager
def task_worker(env: dict[str, str]):
    """The task worker, when tasks do not run in the process that enqueues them."""
    if settings.TASK_BACKEND != "database":
        yield
        return
    process = subprocess.Popen(
        [sys.executable, "manage.py", "worker"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_database_outage_under_load_sends_a_handful_of_reports_not_one_per_request(
    transactional_db, course
):
    """Two gunicorn workers, eight clients, the database cut for five seconds: every page
    answers the site's 500 page (never a 502), and the admins get at most one report per
    worker, not one per failed request."""
    relay = DatabaseRelay()
    statuses: list[int] = []
    stop = threading.Event()
    with SmtpSink() as smtp:
        env = production_env(
            DATABASE_URL=database_url(
                production_env()["DATABASE_URL"].rsplit("/", 1)[1], port=relay.port
            ),
            DATABASE_CONN_MAX_AGE="0",
            DJANGO_EMAIL_BACKEND="smtp",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            EMAIL_USE_TLS="false",
            DJANGO_ADMINS="ops@example.com",
            PAGE_CACHE_SECONDS="0",
            DJANGO_LOG_LEVEL="ERROR",
            CERTIFICATE_VERIFY_RATE_PER_MINUTE="1000000",
        )
        with gunicorn(env, workers=2) as (base, log), task_worker(env):
            # A lookup always asks the database (the course page may come from the cache).
            lookup = f"{base}/verify/ABCD-EFGH-JKMN-PQRS/"

            def load() -> None:
                while not stop.is_set():
                    statuses.append(get(lookup))

            clients = [threading.Thread(target=load) for _ in range(8)]
            for thread in clients:
                thread.start()
            time.sleep(1)
            relay.cut()
            time.sleep(5)
            relay.restore()
            time.sleep(1)
            stop.set()
            for thread in clients:
                thread.join()
            deadline = time.monotonic() + 15
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)
            assert get(f"{base}/courses/{course.slug}/") == HTTPStatus.OK
    relay.close()
    failed = statuses.count(HTTPStatus.INTERNAL_SERVER_ERROR)
    assert failed > 20, (failed, log.read_text()[-3000:])
    assert set(statuses) <= {HTTPStatus.NOT_FOUND, HTTPStatus.INTERNAL_SERVER_ERROR}
    assert 1 <= len(smtp.messages) <= 2, smtp.subjects()
    assert all("OperationalError" in s or "Error" in s for s in smtp.subjects())


class FakeSentry:
    """Sentry's ingestion endpoint on loopback: keeps each envelope it is sent."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.envelopes: list[bytes] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    body = brotli.decompress(body)
                fake.envelopes.append(body)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.dsn = f"http://public@127.0.0.1:{self.server.server_port}/1"


def test_with_sentry_configured_errors_go_to_sentry_and_no_mail_is_sent(transactional_db, course):
    sentry = FakeSentry()
    relay = DatabaseRelay()
    with SmtpSink() as smtp:
        env = production_env(
            DATABASE_URL=database_url(
                production_env()["DATABASE_URL"].rsplit("/", 1)[1], port=relay.port
            ),
            DATABASE_CONN_MAX_AGE="0",
            DJANGO_EMAIL_BACKEND="smtp",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            EMAIL_USE_TLS="false",
            DJANGO_ADMINS="ops@example.com",
            SENTRY_DSN=sentry.dsn,
            PAGE_CACHE_SECONDS="0",
        )
        with gunicorn(env, workers=1) as (base, log):
            relay.cut()
            assert get(f"{base}/courses/{course.slug}/") == HTTPStatus.INTERNAL_SERVER_ERROR
            relay.restore()
            deadline = time.monotonic() + 15
            while not any(b"OperationalError" in e for e in sentry.envelopes):
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.2)
        time.sleep(1)
        assert smtp.messages == []
    relay.close()
    sentry.server.shutdown()
    event = next(e for e in sentry.envelopes if b"OperationalError" in e)
    assert f"/courses/{course.slug}/".encode() in event
