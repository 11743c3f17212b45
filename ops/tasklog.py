"""A failed background task is logged with what it was working on, never silently."""

import logging

from django.tasks.base import TaskResultStatus

logger = logging.getLogger("ce.tasks")


def task_failure_log(sender, task_result, **kwargs) -> None:
    """task_finished receiver: one ERROR line naming the task, its arguments (the ids of
    the objects it acts on) and the last error. Django logs the traceback itself."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    error = task_result.errors[-1].exception_class_path if task_result.errors else "unknown"
    logger.error(
        "task.failed task=%s args=%s kwargs=%s attempts=%s error=%s",
        task_result.task.module_path,
        task_result.args,
        task_result.kwargs,
        task_result.attempts,
        error,
        extra={
            "event": "task.failed",
            "task": task_result.task.module_path,
            "task_id": task_result.id,
            "task_args": task_result.args,
            "task_kwargs": task_result.kwargs,
            "attempts": task_result.attempts,
            "error": error,
        },
    )
