import csv
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from courses.models import Course
from testing.question_csv import safe_cell

from . import services
from .models import Certificate

ROSTER_COLUMNS = [
    "name",
    "credentials",
    "email",
    "license_number",
    "license_jurisdiction",
    "course",
    "ce_credits",
    "credit_type",
    "completed_on",
    "code",
    "status",
]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class RosterForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.order_by("title"))
    completed_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    completed_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("completed_from"), data.get("completed_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = [
        "display_code",
        "holder_name",
        "course_title",
        "ce_credits",
        "completed_on",
        "status",
    ]
    list_filter = ["status", "completed_on", "enrollment__course"]
    search_fields = ["code", "holder_name", "enrollment__user__email", "course_title"]
    date_hierarchy = "completed_on"
    actions = ["revoke", "reissue"]
    # The stored PDF has no public URL: the admin links to the access-checked download.
    exclude = ["pdf"]
    readonly_fields = [f.name for f in Certificate._meta.fields if f.name != "pdf"] + ["pdf_link"]

    @admin.display(description="PDF")
    def pdf_link(self, obj: Certificate) -> str:
        url = reverse("certificates:download", args=[obj.code])
        return format_html('<a href="{}">Download the certificate</a>', url)

    change_list_template = "admin/certificates/certificate/change_list.html"

    def get_search_results(self, request, queryset, search_term):
        from .codes import normalize

        code = normalize(search_term)
        if code:
            return queryset.filter(code=code), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _with_reason(self, request, queryset, title, apply) -> HttpResponse | None:
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            for certificate in queryset:
                try:
                    result = apply(certificate, form.cleaned_data["reason"])
                except ValidationError as error:
                    problem = " ".join(error.messages)
                    self.message_user(
                        request, f"{certificate.display_code}: {problem}", messages.ERROR
                    )
                else:
                    done = (
                        f"reissued as {result.display_code}"
                        if result.pk != certificate.pk
                        else result.get_status_display().lower()
                    )
                    self.message_user(
                        request, f"{certificate.display_code}: {done}.", messages.SUCCESS
                    )
            return None
        return TemplateResponse(
            request,
            "admin/certificates/confirm.html",
            {**self.admin_site.each_context(request), "title": title, "form": form,
             "certificates": queryset, "action": request.POST.get("action"),
             "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
             "opts": self.model._meta},
        )  # fmt: skip

    @admin.action(description="Revoke selected certificates…", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet):
        return self._with_reason(
            request,
            queryset,
            "Revoke certificates",
            lambda c, reason: services.certificate_revoke(certificate=c, reason=reason),
        )

    @admin.action(description="Reissue with the holder's current details…", permissions=["change"])
    def reissue(self, request: HttpRequest, queryset: QuerySet):
        return self._with_reason(
            request,
            queryset,
            "Reissue certificates",
            lambda c, reason: services.certificate_reissue(certificate=c, reason=reason),
        )

    def get_urls(self):
        return [
            path(
                "roster/", self.admin_site.admin_view(self.roster_view), name="certificates_roster"
            ),
            *super().get_urls(),
        ]

    def roster_view(self, request: HttpRequest) -> HttpResponse:
        """Completions per course and date range: the roster licensing boards audit."""
        form = RosterForm(request.GET or None, initial={"completed_to": date.today()})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            rows = (
                Certificate.objects.filter(
                    enrollment__course=data["course"],
                    completed_on__range=(data["completed_from"], data["completed_to"]),
                )
                .select_related("enrollment__user")
                .order_by("completed_on", "holder_name")
            )
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="roster-{data["course"].slug}-{data["completed_from"]}-'
                f'{data["completed_to"]}.csv"'
            )
            writer = csv.writer(response)
            writer.writerow(ROSTER_COLUMNS)
            for c in rows:
                writer.writerow(
                    [safe_cell(c.holder_name), safe_cell(c.holder_credentials),
                     c.enrollment.user.email, safe_cell(c.license_number),
                     safe_cell(c.license_jurisdiction), safe_cell(c.course_title), c.ce_credits,
                     safe_cell(c.credit_type), c.completed_on.isoformat(), c.display_code,
                     c.status]
                )  # fmt: skip
            return response
        return TemplateResponse(
            request,
            "admin/certificates/roster.html",
            {**self.admin_site.each_context(request), "title": "Export a completion roster",
             "form": form, "opts": self.model._meta},
        )  # fmt: skip
