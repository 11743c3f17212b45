"""Retries with exponential back-off, and failures nobody can miss.

Django's tasks framework has no retries. A task opts in by stacking `@retried(...)` above
`@task`. When it raises in the database worker, the worker records the failure (status
FAILED with the traceback) and sends `task_finished`; `task_finished_handle` then puts
the same row back to READY with a later `run_after`, so the row keeps its attempt count
(one worker id per attempt) and shows the last error in admin. The wait doubles each
time (TASK_RETRY_BASE_SECONDS, then twice that, ... at most an hour, with a little
jitter so that the tasks one outage failed do not all come back in the same second).
After the last attempt the row stays FAILED (admin: Background work → Failed tasks, with
"Run again") and an ERROR line names the task and its object, e.g. the order number.
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.tasks import Task, TaskResult, TaskResultStatus, task_backends
from django.utils import timezone

# One logger for what tasks do ("ce.tasks", configured in settings.LOGGING): a try that
# failed is a warning, a task that gave up an error (and an error report), with the task,
# its arguments and the object it acts on as fields for LOG_FORMAT=json.
logger = logging.getLogger("ce.tasks")

MAX_DELAY_SECONDS = 3600


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int | None = None  # None: settings.TASK_RETRY_ATTEMPTS
    about: Callable[..., str] | None = None
    on_give_up: Callable[..., None] | None = None

    @property
    def max_attempts(self) -> int:
        return self.attempts or settings.TASK_RETRY_ATTEMPTS


policies: dict[str, RetryPolicy] = {}


def retried(
    *,
    attempts: int | None = None,
    about: Callable[..., str] | None = None,
    on_give_up: Callable[..., None] | None = None,
) -> Callable[[Task], Task]:
    """Give a task retries. `about(*args, **kwargs)` names its object in log lines ("order
    CE-2026-00042"); `on_give_up(*args, **kwargs)` runs once after the last attempt."""

    def register(task: Task) -> Task:
        policies[task.module_path] = RetryPolicy(attempts, about, on_give_up)
        return task

    return register


def policy_for(task_path: str) -> RetryPolicy:
    # A task without a policy runs once: retrying work that was not written to be run
    # twice could do it twice.
    return policies.get(task_path, RetryPolicy(attempts=1))


def backoff_seconds(attempt: int) -> float:
    """The wait after failed attempt number `attempt` (1, 2, ...)."""
    delay = min(settings.TASK_RETRY_BASE_SECONDS * 2 ** (attempt - 1), MAX_DELAY_SECONDS)
    return delay * random.uniform(0.9, 1.1)  # noqa: S311 (jitter, not secrecy)


def describe(task_path: str, args: list, kwargs: dict) -> str:
    """What the task is about, for people reading logs and admin."""
    about = policy_for(task_path).about
    if about is not None:
        try:
            return about(*args, **kwargs)
        except Exception:  # a log line must not fail because its object is gone
            logger.debug("Could not describe %s", task_path, exc_info=True)
    return f"{task_path.rsplit('.', 1)[-1]}({', '.join(map(repr, args))})"


def _last_error(task_result: TaskResult) -> str:
    if not task_result.errors:
        return "unknown error"
    lines = task_result.errors[-1].traceback.strip().splitlines()
    return lines[-1] if lines else task_result.errors[-1].exception_class_path


def _runs_in_database_worker(task_result: TaskResult) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[task_result.backend], DatabaseBackend)


def task_finished_handle(sender, task_result: TaskResult, **kwargs) -> None:
    """Log the outcome; put a failed task back in the queue while it has attempts left."""
    try:
        _handle(task_result)
    except Exception:
        # Raising here would stop the worker (the signal is sent from its error handler).
        logger.exception("Could not handle the outcome of task %s", task_result.id)


def _fields(event: str, task: Task, args: list, kwargs: dict, attempts: int, **more) -> dict:
    return {
        "event": event,
        "task": task.module_path,
        "task_args": args,
        "task_kwargs": kwargs,
        "about": describe(task.module_path, args, kwargs),
        "attempts": attempts,
        **more,
    }


def _error_class(task_result: TaskResult) -> str:
    return task_result.errors[-1].exception_class_path if task_result.errors else "unknown"


def _handle(task_result: TaskResult) -> None:
    task, args, kwargs = task_result.task, task_result.args, task_result.kwargs
    path, name = task.module_path, task.name
    label = describe(path, args, kwargs)
    attempt = max(task_result.attempts, 1)
    if task_result.status == TaskResultStatus.SUCCESSFUL:
        logger.info(
            "Task %s for %s done (attempt %d)", name, label, attempt,
            extra=_fields("task.done", task, args, kwargs, attempt, task_id=task_result.id),
        )  # fmt: skip
        return
    policy = policy_for(path)
    error = _last_error(task_result)
    if attempt < policy.max_attempts and _runs_in_database_worker(task_result):
        from django_tasks_db.models import DBTaskResult

        delay = backoff_seconds(attempt)
        requeued = DBTaskResult.objects.filter(
            id=task_result.id, status=TaskResultStatus.FAILED
        ).update(
            status=TaskResultStatus.READY,
            run_after=timezone.now() + timedelta(seconds=delay),
            finished_at=None,
        )
        if requeued:
            logger.warning(
                "Task %s for %s failed (attempt %d of %d): %s; next try in %.0f s",
                name, label, attempt, policy.max_attempts, error, delay,
                extra=_fields(
                    "task.retry", task, args, kwargs, attempt, task_id=task_result.id,
                    error=_error_class(task_result), retry_in_seconds=round(delay, 1),
                ),
            )  # fmt: skip
            return
    task_give_up(
        task, args, kwargs, attempt, error,
        task_id=task_result.id, error_class=_error_class(task_result),
    )  # fmt: skip


def task_give_up(
    task: Task, args: list, kwargs: dict, attempts: int, error: str, *, task_id: str = "",
    error_class: str = "",
) -> None:  # fmt: skip
    """The last attempt failed: say so loudly and let the task's owner react."""
    policy = policy_for(task.module_path)
    logger.error(
        "Task %s for %s failed after %d attempt(s) and will not run again: %s "
        "(admin: Background work > Failed tasks)",
        task.name, describe(task.module_path, args, kwargs), attempts, error,
        extra=_fields(
            "task.failed", task, args, kwargs, attempts, task_id=task_id,
            error=error_class or error,
        ),
    )  # fmt: skip
    if policy.on_give_up is not None:
        policy.on_give_up(*args, **kwargs)
