from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin


class NewlineTextField(forms.CharField):
    """Browsers send a textarea's lines ending in CRLF; stored text keeps LF, so saving
    a form unchanged records no change in the content history."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


def text_kwargs(db_field, kwargs: dict) -> dict:
    if isinstance(db_field, models.TextField):
        kwargs.setdefault("form_class", NewlineTextField)
    return kwargs


def label_inputs(field, db_field, *, every_field: bool):
    """Give an input its field's name as aria-label where admin shows no <label> for it:
    file inputs sit in a fieldset with a legend, and tabular inlines name their columns
    only in the table head. axe-core (and screen readers) need a name on the input."""
    if field is not None and (every_field or isinstance(db_field, models.FileField)):
        field.widget.attrs.setdefault("aria-label", capfirst(field.label or db_field.verbose_name))
    return field


class LabelledInputsAdmin(admin.ModelAdmin):
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **text_kwargs(db_field, kwargs))
        return label_inputs(field, db_field, every_field=False)


class LabelledTabularInline(admin.TabularInline):
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **text_kwargs(db_field, kwargs))
        return label_inputs(field, db_field, every_field=True)

    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(base):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs["aria-label"] = "Delete this row"

        return LabelledFormSet


class LabelledStackedInline(admin.StackedInline):
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **text_kwargs(db_field, kwargs))
        return label_inputs(field, db_field, every_field=False)


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

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AuditRecordAdmin(admin.ModelAdmin):
    """Admin for records an audit relies on: never deleted from admin, not even by a
    superuser, and a posted action the user may not run is refused (403) rather than
    Django's silent "no action selected"."""

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        name = request.POST.get("action") if request.method == "POST" else None
        if name and name in (self.actions or ()) and name not in self.get_actions(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)


class ContentHistoryAdmin(SimpleHistoryAdmin, LabelledInputsAdmin):
    """django-simple-history's admin (the History button lists every saved version).

    Its history list calls select_related() with no arguments for a model without
    foreign keys, which Django deprecates; this names the fields instead.
    """

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        keys = [
            f.name for f in history_manager.model.tracked_fields if isinstance(f, models.ForeignKey)
        ]
        return history_manager.filter(**{pk_name: object_id}).select_related("history_user", *keys)
