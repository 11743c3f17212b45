from django.db import models
from django_tasks_db.models import DBTaskResult


class WorkerHeartbeat(models.Model):
    """One row per running worker process, touched every WORKER_HEARTBEAT_SECONDS."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"worker {self.worker_id[:8]} on {self.hostname} (pid {self.pid})"


class SentEmail(models.Model):
    """The ledger that makes an email go out once, however often its task runs.

    A row is written in the same transaction that hands the message to the mail server;
    its unique key (e.g. "order-confirmation:CE-2026-00042") stops a second send.
    """

    key = models.CharField(max_length=200, unique=True)
    to = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "sent email"

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class FailedTask(DBTaskResult):
    """A task that used up its attempts (admin lists only those; see retries.py)."""

    class Meta:
        proxy = True
        verbose_name = "failed task"
