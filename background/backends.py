"""A task backend that runs each task in the enqueuing process after its transaction commits.

Django's ImmediateBackend runs a task inside `enqueue()`, before the transaction that
wrote its data has committed (and even when it then rolls back). This one waits for the
commit, as the database worker does, and then runs the task at once. The unit tests use
it (TASK_BACKEND=immediate); production and the demo use django-tasks-db and a worker.
"""

from django.db import transaction
from django.tasks.backends.immediate import ImmediateBackend
from django.tasks.base import TaskResult, TaskResultStatus
from django.utils.crypto import get_random_string


class OnCommitBackend(ImmediateBackend):
    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        task_result = TaskResult(
            task=task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda: self._execute_task(task_result))
        else:  # nothing to wait for (and no need to open a database connection to know it)
            self._execute_task(task_result)
        return task_result
