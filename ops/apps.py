from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operating the site: request and event logs, error reports, housekeeping, backups.

    Sits above every other app (like `demo`): it may read any app's models, none reads it.
    """

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.tasks.signals import task_finished

        from . import tasklog

        task_finished.connect(tasklog.task_failure_log, dispatch_uid="ops.task_failure_log")
