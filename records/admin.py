from django.contrib import admin
from django.http import HttpRequest


class StatusHistoryInline(admin.TabularInline):
    """The read-only history of a record's status changes, on the record's admin page."""

    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "actor_user", "note"]
    readonly_fields = fields
    verbose_name = "status change"
    verbose_name_plural = "status history"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
