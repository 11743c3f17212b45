"""The worker for real: django-tasks-db's queue on PostgreSQL, a real SMTP server that
goes down and comes back, retries with back-off, a dead worker's task run again."""

import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from background.heartbeat import heartbeat_record, orphaned_tasks_recover
from background.models import SentEmail, WorkerHeartbeat
from background.retries import backoff_seconds
from enrollment import notifications, orders
from tests.background.conftest import run_worker


def receipt_task() -> DBTaskResult:
    return DBTaskResult.objects.get(task_path=notifications.order_confirmation_send.module_path)


def wait_until_ready(row: DBTaskResult) -> None:
    row.refresh_from_db()
    time.sleep(max((row.run_after - timezone.now()).total_seconds(), 0) + 0.05)


@pytest.fixture
def paid(database_tasks, learner, course):
    """A free course's order, paid through the real fulfilment path; its receipt queued."""
    order = orders.order_start(user=learner, course=course)
    orders.payment_record(order=order, reference="", amount_cents=0, actor="learner")
    return order


def test_the_receipt_is_queued_in_the_payment_transaction_and_vanishes_with_it(
    database_tasks, learner, course
):
    order = orders.order_start(user=learner, course=course)
    queued_inside = []

    def pay_then_fail() -> None:
        with transaction.atomic():
            orders.payment_record(order=order, reference="", amount_cents=0, actor="learner")
            queued_inside.append(DBTaskResult.objects.count())
            raise RuntimeError("the payment transaction fails")

    with pytest.raises(RuntimeError):
        pay_then_fail()
    assert queued_inside == [1]  # written with the payment...
    assert not DBTaskResult.objects.exists()  # ...and gone with it


def test_with_smtp_down_the_receipt_is_retried_with_growing_waits_and_sent_when_it_is_back(
    paid, smtp, log_lines
):
    smtp.stop()
    run_worker()
    row = receipt_task()
    assert row.status == TaskResultStatus.READY
    assert len(row.worker_ids) == 1
    first_wait = (row.run_after - timezone.now()).total_seconds()
    assert 0 < first_wait <= settings.TASK_RETRY_BASE_SECONDS * 1.1
    assert "ConnectionRefusedError" in row.traceback
    [retry] = [r for r in log_lines.records if getattr(r, "event", "") == "task.retry"]
    assert retry.levelno == logging.WARNING
    assert f"order {paid.number} failed (attempt 1 of 10)" in retry.getMessage()
    assert retry.about == f"order {paid.number}"
    assert retry.task_kwargs == {"order_id": paid.pk}

    wait_until_ready(row)
    run_worker()  # still down: the next wait is about twice as long
    row.refresh_from_db()
    second_wait = (row.run_after - timezone.now()).total_seconds()
    assert second_wait > first_wait * 1.4
    assert smtp.messages == []

    smtp.start()
    wait_until_ready(row)
    run_worker()
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(row.worker_ids) == 3
    [receipt] = smtp.to(paid.user.email)
    assert paid.number in receipt["Subject"]


def test_the_waits_double_up_to_an_hour(settings):
    settings.TASK_RETRY_BASE_SECONDS = 30
    assert 27 <= backoff_seconds(1) <= 33
    assert 54 <= backoff_seconds(2) <= 66
    assert 3240 <= backoff_seconds(12) <= 3960


def test_a_task_that_keeps_failing_is_logged_with_its_order_listed_in_admin_and_can_run_again(
    paid, smtp, settings, log_lines, client, director
):
    settings.TASK_RETRY_ATTEMPTS = 2
    smtp.stop()
    run_worker()
    wait_until_ready(receipt_task())
    run_worker()
    row = receipt_task()
    assert row.status == TaskResultStatus.FAILED
    [failed] = [r for r in log_lines.records if r.levelno == logging.ERROR]
    assert f"order {paid.number} failed after 2 attempt(s)" in failed.getMessage()
    assert failed.event == "task.failed"
    assert failed.error == "builtins.ConnectionRefusedError"

    client.force_login(director)
    listing = client.get(reverse("admin:background_failedtask_changelist"))
    assert listing.status_code == HTTPStatus.OK
    assert f"order {paid.number}".encode() in listing.content
    assert b"ConnectionRefusedError" in listing.content

    smtp.start()
    client.post(
        reverse("admin:background_failedtask_changelist"),
        {"action": "run_again", "_selected_action": [row.pk]},
    )
    run_worker()
    assert receipt_task().status == TaskResultStatus.SUCCESSFUL
    assert len(smtp.to(paid.user.email)) == 1


def test_a_task_left_running_by_a_dead_worker_runs_again_and_mails_once(paid, smtp, settings):
    settings.WORKER_STALE_SECONDS = 1
    row = receipt_task()
    row.claim("dead-worker")  # it took the task, then was killed
    heartbeat_record(worker_id="dead-worker")
    WorkerHeartbeat.objects.filter(worker_id="dead-worker").update(
        seen_at=timezone.now() - timedelta(seconds=5)
    )
    run_worker()  # its first beat finds the orphan and puts it back in the queue
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids == ["dead-worker", "test-worker"]
    assert len(smtp.to(paid.user.email)) == 1


def test_a_task_killed_after_its_email_went_out_does_not_send_it_again(paid, smtp):
    run_worker()
    assert len(smtp.to(paid.user.email)) == 1
    # The worker died after the mail server took the message, before the task was marked
    # done: the task runs again, and the ledger stops a second email.
    DBTaskResult.objects.filter(pk=receipt_task().pk).update(
        status=TaskResultStatus.READY, run_after=timezone.now()
    )
    run_worker()
    assert receipt_task().return_value == "sent before"
    assert len(smtp.to(paid.user.email)) == 1
    assert SentEmail.objects.get(key=f"order-confirmation:{paid.number}").to == paid.user.email


def test_a_live_workers_task_is_left_alone(paid, settings):
    settings.WORKER_STALE_SECONDS = 60
    receipt_task().claim("busy-worker")
    heartbeat_record(worker_id="busy-worker")
    assert orphaned_tasks_recover() == 0
    assert receipt_task().status == TaskResultStatus.RUNNING


def test_a_dead_workers_task_with_no_attempts_left_is_failed_and_logged(paid, settings, log_lines):
    settings.TASK_RETRY_ATTEMPTS = 1
    settings.WORKER_STALE_SECONDS = 1
    receipt_task().claim("dead-worker")
    assert orphaned_tasks_recover() == 1
    assert receipt_task().status == TaskResultStatus.FAILED
    [failed] = [r for r in log_lines.records if r.levelno == logging.ERROR]
    assert f"order {paid.number} failed after 1 attempt(s)" in failed.getMessage()
    assert "worker dead-wor stopped during the task" in failed.getMessage()


def test_the_worker_command_runs_the_queue_and_signs_off(paid):
    """`manage.py worker` as production runs it, in its own process."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "TASK_BACKEND": "database",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch", "--no-startup-delay"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert receipt_task().status == TaskResultStatus.SUCCESSFUL
    assert f"Your order {paid.number}" in result.stdout  # the console mail backend
    assert not WorkerHeartbeat.objects.exists()  # a clean stop removes its heartbeat


def _database_url() -> str:
    params = connection.settings_dict
    return f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"
