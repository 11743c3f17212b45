"""Error reports that cannot take the site down.

Django's AdminEmailHandler mails every error from inside the failing request: during a
database outage that is one mail per request (a 5-second outage sent 134), and with the
mail server down the handler raises inside logging and the proxy answers 502. Here:

- the same error (logger and exception class) is reported at most once per
  ERROR_REPORT_INTERVAL_SECONDS per process, and once across hosts while the shared cache
  answers; the report says how many were held back;
- the request only puts the report on an in-process queue (never blocks, never raises);
  one thread per process hands it to the task worker (`error_report_send`), retrying
  for a few minutes while the task store (the database) is down; the worker mails it;
- with SENTRY_DSN set, sentry-sdk reports instead (its own background transport).
"""

import hashlib
import logging
import queue
import sys
import threading
import time

from django.conf import settings
from django.tasks import task
from django.utils.log import AdminEmailHandler

from background.retries import retried

SENDER_THREAD = "error-reports"
ENQUEUE_DEADLINE_SECONDS = 300
_outbox: queue.Queue[tuple[str, str, str]] = queue.Queue(maxsize=100)
_sender: threading.Thread | None = None
_sender_lock = threading.Lock()
_state = threading.local()


class _Limiter:
    """Per-process: one report per fingerprint and interval; counts the ones held back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def allow(self, fingerprint: str, interval: float) -> int | None:
        """None when held back; otherwise how many were held back since the last one."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(fingerprint)
            if last is not None and now - last < interval:
                self._held[fingerprint] = self._held.get(fingerprint, 0) + 1
                return None
            self._last[fingerprint] = now
            return self._held.pop(fingerprint, 0)


limiter = _Limiter()


def fingerprint(record: logging.LogRecord) -> str:
    """Same logger and exception class = the same error (a database outage raises the
    same OperationalError on every page; one report says it)."""
    kind = record.exc_info[0].__qualname__ if record.exc_info and record.exc_info[0] else ""
    key = f"{record.name}:{kind or record.msg}:{getattr(record, 'task', '')}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class ErrorReportHandler(AdminEmailHandler):
    """AdminEmailHandler's report, rate-limited and handed to the worker."""

    def emit(self, record: logging.LogRecord) -> None:
        if settings.SENTRY_DSN or not settings.ADMINS:
            return
        # Never report the reporting machinery itself (a loop when mail is down).
        if (
            record.name.startswith("django.tasks")
            or threading.current_thread().name == SENDER_THREAD
            or getattr(record, "task", "").endswith(".error_report_send")
        ):
            return
        try:
            key = fingerprint(record)
            held = limiter.allow(key, settings.ERROR_REPORT_INTERVAL_SECONDS)
            if held is None:
                return
            _state.key, _state.held = key, held
            kind, value = (record.exc_info or (None, None))[:2]
            _state.summary = f"{kind.__name__}: {value}" if kind else ""
            super().emit(record)
        except Exception:
            self.handleError(record)  # prints to stderr; the request goes on

    def format_subject(self, subject: str) -> str:
        """The exception in the subject: "ERROR ...: /path [OperationalError: ...]"."""
        summary = getattr(_state, "summary", "")
        return super().format_subject(f"{subject} [{summary}]" if summary else subject)[:250]

    def send_mail(self, subject: str, message: str, *args, **kwargs) -> None:
        held = getattr(_state, "held", 0)
        if held:
            message = f"{held} more like this were held back since the last report.\n\n{message}"
        try:
            _outbox.put_nowait((_state.key, subject, message))
        except queue.Full:
            return  # hundreds of distinct errors at once: the log has them all
        _sender_start()


def _sender_start() -> None:
    global _sender
    with _sender_lock:
        if _sender is None or not _sender.is_alive():  # first report, or after a fork
            _sender = threading.Thread(target=_send_loop, name=SENDER_THREAD, daemon=True)
            _sender.start()


def _send_loop() -> None:
    from django.core.cache import cache
    from django.db import connections

    while True:
        key, subject, message = _outbox.get()
        try:
            try:
                first_anywhere = cache.add(
                    f"error-report:{key}", 1, settings.ERROR_REPORT_INTERVAL_SECONDS
                )
            except Exception:
                first_anywhere = True  # the cache is down too: this process's limit holds
            if first_anywhere:
                _enqueue_until_deadline(subject, message)
        finally:
            connections.close_all()
            _outbox.task_done()


def reports_flushed(timeout: float = 10) -> bool:
    """Wait until every queued report was handed on (tests; a graceful shutdown)."""
    deadline = time.monotonic() + timeout
    while _outbox.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _enqueue_until_deadline(subject: str, message: str) -> None:
    deadline = time.monotonic() + ENQUEUE_DEADLINE_SECONDS
    pause = 1.0
    while True:
        try:
            error_report_send.enqueue(subject=subject, message=message)
            return
        except Exception as error:
            if time.monotonic() + pause > deadline:
                print(f"error report not sent ({error!r}): {subject}", file=sys.stderr)
                return
            time.sleep(pause)
            pause = min(pause * 2, 30)


@retried(about=lambda *, subject, message: f"error report “{subject[:80]}”")
@task
def error_report_send(*, subject: str, message: str) -> None:
    """Mail one report to DJANGO_ADMINS; a mail server that is down fails the task, and
    the worker tries again later."""
    from django.core import mail

    mail.mail_admins(subject, message)
