from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.forms import CertificateProfileForm
from courses.models import Course
from records.admin import StatusHistoryInline

from . import packets, rosters, states
from .codes import normalize
from .facts import Holder
from .models import Certificate, CertificateStatusChange, PublicReason


class RevokeForm(forms.Form):
    public_reason = forms.ChoiceField(
        label="Reason shown on the verification page",
        choices=[("", "Choose a reason"), *PublicReason.choices],
    )
    note = forms.CharField(
        label="Internal note (never shown publicly)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Why (kept in the certificate's history)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
    )


class CorrectionForm(CertificateProfileForm):
    """The holder's corrected details (the same fields and rules as the learner's
    account) and what was corrected; saving updates the learner and reissues."""

    note = forms.CharField(
        label="What was corrected, and at whose request",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
    )


class RosterForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("title"), required=False, empty_label="All courses"
    )
    completed_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    completed_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(
        choices=[("roster", "Roster (CSV)"), ("cebroker", "CE Broker upload file")],
        widget=forms.HiddenInput,
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("completed_from"), data.get("completed_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data


class AuditPacketForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.order_by("title"))
    period_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data


class CertificateHistoryInline(StatusHistoryInline):
    model = CertificateStatusChange
    fields = ["at", "from_status", "to_status", "public_reason", "actor", "actor_user", "note"]
    readonly_fields = fields


def _perm(codename: str):
    def check(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"certificates.{codename}")

    return check


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = [
        "display_code",
        "holder_name",
        "course_title",
        "credit_line",
        "completed_on",
        "status",
    ]
    list_filter = ["status", "completed_on", "approving_body", "enrollment__course"]
    search_fields = ["code", "holder_name", "enrollment__user__email", "course_title"]
    date_hierarchy = "completed_on"
    actions = ["revoke", "reinstate", "reissue"]
    inlines = [CertificateHistoryInline]
    # The stored PDF has no public URL: the admin links to the access-checked download.
    # The code shows as boards type it (7K3M-Q9XD-…), in place of the stored form.
    exclude = ["pdf", "course_facts"]
    readonly_fields = [
        "display_code" if f.name == "code" else f.name
        for f in Certificate._meta.fields
        if f.name not in {"id", "pdf", "course_facts"}
    ] + ["pdf_link"]
    fields = readonly_fields
    change_list_template = "admin/certificates/certificate/change_list.html"
    change_form_template = "admin/certificates/certificate/change_form.html"

    has_revoke_certificate_permission = _perm("revoke_certificate")
    has_reinstate_certificate_permission = _perm("reinstate_certificate")
    has_correct_certificate_permission = _perm("correct_certificate")
    has_export_roster_permission = _perm("export_roster")

    @admin.display(description="PDF")
    def pdf_link(self, obj: Certificate) -> str:
        url = reverse("certificates:download", args=[obj.display_code])
        return format_html('<a href="{}">Download the certificate</a>', url)

    @admin.display(description="certificate code", ordering="code")
    def display_code(self, obj: Certificate) -> str:
        return obj.display_code

    @admin.display(description="credit")
    def credit_line(self, obj: Certificate) -> str:
        return obj.credit_line

    def get_search_results(self, request, queryset, search_term):
        code = normalize(search_term)
        if code:
            return queryset.filter(code=code), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra = {"can_export_roster": self.has_export_roster_permission(request)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_correct": self.has_correct_certificate_permission(request)}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    # --- actions: each confirms on a page with its form, then applies one by one -------

    def _confirm(self, request, queryset, *, title, form_class, apply, explain):
        form = form_class(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            for certificate in queryset:
                try:
                    done = apply(certificate, form.cleaned_data)
                except ValidationError as error:
                    problem = " ".join(error.messages)
                    self.message_user(
                        request, f"{certificate.display_code}: {problem}", messages.ERROR
                    )
                else:
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
             "explain": explain, "opts": self.model._meta},
        )  # fmt: skip

    @admin.action(description="Revoke selected certificates…", permissions=["revoke_certificate"])
    def revoke(self, request: HttpRequest, queryset: QuerySet):
        def apply(certificate, data):
            states.certificate_revoke(
                certificate=certificate,
                public_reason=data["public_reason"],
                note=data["note"],
                actor_user=request.user,
            )
            return "revoked"

        return self._confirm(
            request, queryset, title="Revoke certificates", form_class=RevokeForm, apply=apply,
            explain="The verification page shows the date and the reason you choose; the "
            "internal note stays in admin.",
        )  # fmt: skip

    @admin.action(
        description="Reinstate selected revoked certificates…",
        permissions=["reinstate_certificate"],
    )
    def reinstate(self, request: HttpRequest, queryset: QuerySet):
        def apply(certificate, data):
            states.certificate_reinstate(
                certificate=certificate, note=data["note"], actor_user=request.user
            )
            return "reinstated (valid again)"

        return self._confirm(
            request, queryset, title="Reinstate certificates", form_class=NoteForm, apply=apply,
            explain="A reinstated certificate is valid again; its history keeps the "
            "revocation. A certificate whose enrollment was refunded cannot be reinstated.",
        )  # fmt: skip

    @admin.action(
        description="Reissue with the holder's current account details…",
        permissions=["correct_certificate"],
    )
    def reissue(self, request: HttpRequest, queryset: QuerySet):
        def apply(certificate, data):
            new = states.certificate_reissue(
                certificate=certificate, note=data["note"], actor_user=request.user
            )
            return f"reissued as {new.display_code}"

        return self._confirm(
            request, queryset, title="Reissue certificates", form_class=NoteForm, apply=apply,
            explain="Each is reissued with a new code and the holder's details as they are "
            "in the learner's account now; the course facts stay as at completion. To type "
            "a correction yourself, open a certificate and choose “Correct holder details”.",
        )  # fmt: skip

    # --- pages: correction and roster --------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("roster/", view(self.roster_view), name="certificates_roster"),
            path("audit-packet/", view(self.packet_view), name="certificates_audit_packet"),
            path(
                "<int:pk>/correct/",
                view(self.correct_view),
                name="certificates_certificate_correct",
            ),
            *super().get_urls(),
        ]

    def packet_view(self, request: HttpRequest) -> HttpResponse:
        """One course's audit packet for a period, as a ZIP (packets.py says what is in it).
        It holds the roster, so it takes the roster permission."""
        if not self.has_export_roster_permission(request):
            raise PermissionDenied
        form = AuditPacketForm(request.GET or None, initial={"period_to": date.today()})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            packet = packets.audit_packet_build(
                course=data["course"],
                start=data["period_from"],
                end=data["period_to"],
                user=request.user,
            )
            response = HttpResponse(packet.content, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{packet.filename}"'
            response["Cache-Control"] = "private, no-store"
            return response
        return TemplateResponse(
            request,
            "admin/certificates/audit_packet.html",
            {**self.admin_site.each_context(request), "title": "Audit packet",
             "form": form, "opts": self.model._meta},
        )  # fmt: skip

    def correct_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Correct the holder's details and reissue, without the right to edit users."""
        if not self.has_correct_certificate_permission(request):
            raise PermissionDenied
        certificate = get_object_or_404(
            Certificate.objects.select_related("enrollment__user"), pk=pk
        )
        user = certificate.enrollment.user
        form = CorrectionForm(request.POST or None, instance=user)
        if request.method == "POST" and certificate.status != Certificate.Status.VALID:
            form.add_error(None, "Only a valid certificate can be corrected and reissued.")
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    form.save()
                    new = states.certificate_reissue(
                        certificate=certificate,
                        note=form.cleaned_data["note"],
                        holder=Holder.of(user),
                        actor_user=request.user,
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    f"{certificate.display_code} was reissued as {new.display_code}.",
                    messages.SUCCESS,
                )
                return redirect("admin:certificates_certificate_change", new.pk)
        return TemplateResponse(
            request,
            "admin/certificates/correct.html",
            {**self.admin_site.each_context(request), "opts": self.model._meta,
             "title": f"Correct holder details: {certificate.display_code}",
             "certificate": certificate, "form": form, "original": certificate},
        )  # fmt: skip

    def roster_view(self, request: HttpRequest) -> HttpResponse:
        """Completions in a date range, all courses or one: the roster boards audit, or
        CE Broker's upload file (rosters.py describes both)."""
        if not self.has_export_roster_permission(request):
            raise PermissionDenied
        form = RosterForm(request.GET or None, initial={"completed_to": date.today()})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            rows = rosters.roster_certificates(
                start=data["completed_from"], end=data["completed_to"], course=data["course"]
            )
            scope = data["course"].slug if data["course"] else "all-courses"
            span = f"{data['completed_from']}-{data['completed_to']}"
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            if data["format"] == "cebroker":
                name = f"cebroker-roster-{scope}-{span}.csv"
                rosters.cebroker_csv(rows, response)
            else:
                name = f"roster-{scope}-{span}.csv"
                rosters.roster_csv(rows, response)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "private, no-store"
            return response
        return TemplateResponse(
            request,
            "admin/certificates/roster.html",
            {**self.admin_site.each_context(request), "title": "Export completions",
             "form": form, "opts": self.model._meta},
        )  # fmt: skip
