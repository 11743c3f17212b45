"""What the director sees of background work: failed tasks (and a way to run them
again), the emails sent, the workers alive. django-tasks-db's own "Task results" list
shows every task, whatever its status."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import FailedTask, SentEmail, WorkerHeartbeat
from .retries import describe


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    list_display = ["task_name", "about", "attempts", "finished_at", "last_error"]
    ordering = ["-finished_at"]
    actions = ["run_again"]
    fields = ["task_name", "about", "attempts", "enqueued_at", "finished_at", "traceback"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(status=TaskResultStatus.FAILED)

    @admin.display(description="about")
    def about(self, obj: DBTaskResult) -> str:
        return describe(obj.task_path, obj.args_kwargs["args"], obj.args_kwargs["kwargs"])

    @admin.display(description="attempts")
    def attempts(self, obj: DBTaskResult) -> int:
        return len(obj.worker_ids)

    @admin.display(description="last error")
    def last_error(self, obj: DBTaskResult) -> str:
        lines = obj.traceback.strip().splitlines()
        return lines[-1][:200] if lines else obj.exception_class_path

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Run again (after fixing the cause)", permissions=["change"])
    def run_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=timezone.now(), finished_at=None
        )
        self.message_user(request, f"{count} task(s) queued to run again.", messages.SUCCESS)


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "to", "subject"]
    search_fields = ["to", "subject", "key"]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "hostname", "pid", "started_at", "seen_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
