from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "background"
    verbose_name = "Background work"

    def ready(self) -> None:
        from django.tasks.signals import log_task_finished, task_finished

        from . import retries

        # retries.task_finished_handle logs every outcome at its true level (a failure
        # that will be retried is a warning, one that gave up an error); Django's own
        # receiver would log each failed attempt as an error with its traceback.
        task_finished.disconnect(log_task_finished)
        task_finished.connect(retries.task_finished_handle, dispatch_uid="background-retries")
