from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from certificates import rosters
from certificates.admin import RosterForm
from enrollment.models import Enrollment
from records.models import Actor

from . import credentials
from .models import (
    Program,
    ProgramCourse,
    ProgramCredential,
    ProgramCredentialStatusChange,
    ProgramPurchase,
)
from .progress import program_learners


class ProgramCourseInline(admin.TabularInline):
    model = ProgramCourse
    extra = 1
    autocomplete_fields = ["course"]
    fields = ["position", "course", "required"]
    ordering = ["position", "pk"]


class ProgramRosterForm(RosterForm):
    """The completions roster, limited to one program's courses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["course"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["title", "is_published", "course_count", "learner_count", "completed_count"]
    list_filter = ["is_published"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ProgramCourseInline]
    readonly_fields = ["learners"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "is_published", "description"]}),
        (
            "Completion",
            {"fields": ["credential_name", "electives_required", "recognition_statement"]},
        ),
        ("Buying the remaining courses together", {"fields": ["discount_percent"]}),
        ("Learners", {"fields": ["learners"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        def count(rows: QuerySet) -> Subquery:
            return Subquery(
                rows.order_by().values("k").annotate(n=Count("user", distinct=True)).values("n"),
                output_field=IntegerField(),
            )

        learners = (
            Enrollment.objects.active()
            .filter(course__program_memberships__program=OuterRef("pk"))
            .annotate(k=Value(1))
        )
        completed = ProgramCredential.objects.filter(
            program=OuterRef("pk"), status=ProgramCredential.Status.VALID
        ).annotate(k=Value(1))
        return (
            super()
            .get_queryset(request)
            .annotate(
                _courses=Count("memberships", distinct=True),
                _learners=Coalesce(count(learners), 0),
                _completed=Coalesce(count(completed), 0),
            )
        )

    @admin.display(description="courses", ordering="_courses")
    def course_count(self, obj: Program) -> int:
        return obj._courses

    @admin.display(description="learners enrolled", ordering="_learners")
    def learner_count(self, obj: Program) -> int:
        return obj._learners

    @admin.display(description="completed", ordering="_completed")
    def completed_count(self, obj: Program) -> int:
        return obj._completed

    @admin.display(description="learners (enrolled in at least one course)")
    def learners(self, obj: Program) -> str:
        """Who is enrolled in the program's courses, how far along, and who completed."""
        if obj.pk is None:
            return "—"
        held = {c.user_id: c for c in obj.credentials.filter(status=ProgramCredential.Status.VALID)}
        rows = []
        for user, progress in program_learners(obj):
            credential = held.get(user.pk)
            rows.append(
                (
                    user.email,
                    f"{progress.done_count} of {progress.needed_count} done",
                    f"completed, {credential.display_code}" if credential else "not yet",
                )
            )
        if not rows:
            return "No learner is enrolled in this program's courses yet."
        roster = reverse("admin:programs_program_roster", args=[obj.pk])
        return format_html(
            '<table><thead><tr><th scope="col">Learner</th><th scope="col">Courses</th>'
            '<th scope="col">Credential</th></tr></thead><tbody>{}</tbody></table>'
            '<p><a href="{}">Export this program\'s completions roster</a></p>',
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
            roster,
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/roster/", view(self.roster_view), name="programs_program_roster"),
            *super().get_urls(),
        ]

    def roster_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The completions roster (or CE Broker file) of this program's courses."""
        if not request.user.has_perm("certificates.export_roster"):
            raise PermissionDenied
        program = get_object_or_404(Program, pk=pk)
        form = ProgramRosterForm(request.GET or None, initial={"completed_to": date.today()})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            rows = rosters.roster_certificates(
                start=data["completed_from"],
                end=data["completed_to"],
                course_ids=program.memberships.values("course"),
            )
            span = f"{data['completed_from']}-{data['completed_to']}"
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            if data["format"] == "cebroker":
                name = f"cebroker-roster-{program.slug}-{span}.csv"
                rosters.cebroker_csv(rows, response)
            else:
                name = f"roster-{program.slug}-{span}.csv"
                rosters.roster_csv(rows, response)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "private, no-store"
            return response
        return TemplateResponse(
            request,
            "admin/certificates/roster.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Export completions: {program.title}",
                "form": form,
                "opts": self.model._meta,
            },
        )


class StatusChangeInline(admin.TabularInline):
    model = ProgramCredentialStatusChange
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "public_reason", "actor", "actor_user", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RevokeForm(forms.Form):
    public_reason = forms.ChoiceField(choices=ProgramCredential.PublicReason.choices)


@admin.register(ProgramCredential)
class ProgramCredentialAdmin(admin.ModelAdmin):
    list_display = ["display_code", "holder_name", "program_title", "status", "completed_on"]
    list_filter = ["status", "program"]
    search_fields = ["code", "holder_name", "user__email", "program_title"]
    list_select_related = ["program"]
    inlines = [StatusChangeInline]
    actions = ["revoke_issued_in_error"]
    exclude = ["certificates", "pdf"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields] + ["relied_on"]

    @admin.display(description="course certificates relied on")
    def relied_on(self, obj: ProgramCredential) -> str:
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((c.get_absolute_url(), c.display_code) for c in obj.certificates.all()),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("certificates.revoke_certificate")

    @admin.action(description="Revoke (issued in error)", permissions=["revoke"])
    def revoke_issued_in_error(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for credential in queryset.filter(status=ProgramCredential.Status.VALID):
            credentials.credential_revoke(
                credential=credential,
                public_reason=ProgramCredential.PublicReason.ISSUED_IN_ERROR,
                note=f"Revoked from admin by {request.user.email}.",
                actor=Actor.DIRECTOR,
                actor_user=request.user,
            )
            count += 1
        messages.success(request, f"Revoked {count} credential{'s' if count != 1 else ''}.")


@admin.register(ProgramPurchase)
class ProgramPurchaseAdmin(admin.ModelAdmin):
    list_display = ["program", "user", "discount_percent", "created_at"]
    list_filter = ["program"]
    search_fields = ["user__email"]
    readonly_fields = ["program", "user", "discount_percent", "orders", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
