"""Workers say they are alive; tasks left behind by a dead worker run again.

django-tasks-db marks a task RUNNING when a worker claims it and nothing else: a worker
killed mid-task (OOM, a host lost, kill -9) leaves it RUNNING for ever. Each worker
therefore touches its WorkerHeartbeat row every WORKER_HEARTBEAT_SECONDS from a thread,
and on each beat looks for RUNNING tasks whose worker has been silent for
WORKER_STALE_SECONDS: such a task goes back to READY (its attempt is counted, like any
other) or, with no attempts left, is marked FAILED. Tasks must therefore be safe to run
twice; emails are, through the SentEmail ledger. /readyz reads the same heartbeats.
"""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.tasks import TaskResultStatus
from django.utils import timezone

from .models import WorkerHeartbeat
from .retries import describe, policy_for, task_give_up

logger = logging.getLogger("ce.tasks")


def heartbeat_record(*, worker_id: str) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": now},
        create_defaults={
            "seen_at": now,
            "started_at": now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def live_worker_ids() -> set[str]:
    stale = timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    alive = WorkerHeartbeat.objects.filter(seen_at__gte=stale)
    return set(alive.values_list("worker_id", flat=True))


def orphaned_tasks_recover() -> int:
    """Requeue (or, with no attempts left, fail) tasks whose worker stopped beating."""
    from django_tasks_db.models import DBTaskResult

    alive = live_worker_ids()
    recovered = 0
    for row in DBTaskResult.objects.running().only(
        "id", "worker_ids", "started_at", "task_path", "args_kwargs"
    ):
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker in alive:
            continue
        policy = policy_for(row.task_path)
        attempts = len(row.worker_ids)
        args, kwargs = row.args_kwargs["args"], row.args_kwargs["kwargs"]
        same_claim = DBTaskResult.objects.filter(
            id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        if attempts < policy.max_attempts:
            if same_claim.update(status=TaskResultStatus.READY, run_after=timezone.now()):
                recovered += 1
                logger.warning(
                    "Task %s for %s was running on worker %s, which stopped; "
                    "running it again (attempt %d of %d)",
                    row.task_name, describe(row.task_path, args, kwargs), worker[:8],
                    attempts + 1, policy.max_attempts,
                    extra={"event": "task.recovered", "task": row.task_path,
                           "task_id": str(row.id), "task_kwargs": kwargs, "worker": worker},
                )  # fmt: skip
            continue
        error = f"worker {worker[:8]} stopped during the task"
        if same_claim.update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path="background.heartbeat.WorkerLost",
            traceback=f"WorkerLost: {error}",
        ):
            recovered += 1
            task_give_up(
                row.task, args, kwargs, attempts, error, task_id=str(row.id),
                error_class="background.heartbeat.WorkerLost",
            )  # fmt: skip
    return recovered


class Heartbeat(threading.Thread):
    """Beats (and recovers orphans) in the background while the worker runs tasks."""

    def __init__(self, *, worker_id: str) -> None:
        super().__init__(name="worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopping = threading.Event()

    def beat(self) -> None:
        try:
            close_old_connections()
            heartbeat_record(worker_id=self.worker_id)
        except DatabaseError:
            logger.warning("Worker heartbeat could not reach the database", exc_info=True)
            return
        try:
            orphaned_tasks_recover()
        except Exception:  # the beat must go on, or the worker would look dead
            logger.exception("Could not recover the tasks of stopped workers")

    def run(self) -> None:
        try:
            while not self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS):
                self.beat()
        finally:
            connection.close()

    def stop(self) -> None:
        """A clean stop: say at once that this worker is gone."""
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=5)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError:
            logger.warning("Could not remove the heartbeat of worker %s", self.worker_id)
