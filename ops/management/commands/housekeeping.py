from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.tasks import task_backends
from django_tasks_db.backend import DatabaseBackend

# Finished task rows (django-tasks-db's queue table) are only history: successful ones go
# after two weeks; failed ones stay listed in admin (Background work -> Failed tasks)
# for 90 days, long enough for someone to look and press "Run again".
TASKS_KEPT_DAYS = 14
FAILED_TASKS_KEPT_DAYS = 90


class Command(BaseCommand):
    help = (
        "The nightly housekeeping, in order: expire abandoned orders, clear expired "
        "sessions, delete stored files no row references, prune finished task results "
        "(deploy/ce-housekeeping.timer)."
    )

    def handle(self, *args, **options) -> None:
        for command in ("expire_pending_orders", "clearsessions", "delete_orphaned_files"):
            self.stdout.write(f"== {command}")
            call_command(command, stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("== prune_db_task_results")
        if not isinstance(task_backends["default"], DatabaseBackend):
            self.stdout.write("no database task queue (TASK_BACKEND): nothing to prune")
            return
        call_command(
            "prune_db_task_results",
            queue_name="*",
            min_age_days=TASKS_KEPT_DAYS,
            failed_min_age_days=FAILED_TASKS_KEPT_DAYS,
            stdout=self.stdout,
            stderr=self.stderr,
        )
