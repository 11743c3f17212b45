from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as admin_delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Count, QuerySet
from django.forms import Textarea
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.choices import JURISDICTION_GROUPS, Profession
from records.admin import ContentHistoryAdmin, LabelledStackedInline, LabelledTabularInline

from . import media_checks
from .history import course_as_of, course_content_changes, course_history_starts
from .models import (
    ApprovingBody,
    AudioTrack,
    CEBrokerProfessionCode,
    Course,
    CourseApproval,
    CourseInstructor,
    Instructor,
    LearningObjective,
    ProgramPolicies,
    ProviderApproval,
    Section,
    Video,
)
from .services import (
    CoursePublishRefused,
    audio_track_read_duration,
    course_publish,
    course_published_check,
    course_unpublish,
)
from .templatetags.catalog import money


def _delete_new_uploads(forms) -> None:
    """Files that a rolled-back save already wrote to storage would be left as orphans."""
    for form in forms:
        for name, value in getattr(form, "cleaned_data", {}).items():
            stored = getattr(form.instance, name, None)
            if isinstance(value, UploadedFile) and stored and stored._committed:
                stored.storage.delete(stored.name)


class LearningObjectiveInline(LabelledTabularInline):
    model = LearningObjective
    extra = 1
    fields = ["order", "text"]
    ordering = ["order", "pk"]
    formfield_overrides = {models.CharField: {"widget": Textarea(attrs={"rows": 2, "cols": 80})}}


class CourseApprovalInline(LabelledTabularInline):
    """The approvals a course carries, with the credits each grants (point 3 of issue 9)."""

    model = CourseApproval
    extra = 0
    fields = ["order", "approval", "credits", "credit_unit", "course_number"]
    verbose_name_plural = "approvals (credit lines printed on certificates)"


class CourseInstructorInline(LabelledTabularInline):
    model = CourseInstructor
    autocomplete_fields = ["instructor"]
    fields = ["order", "instructor"]

    def get_extra(self, request, obj=None, **kwargs) -> int:
        # An empty search box only where one is needed: its widget has no accessible name.
        return 0 if obj is not None and obj.course_instructors.exists() else 1


class CourseAdminForm(forms.ModelForm):
    """The director types the price in dollars; it is stored as integer cents."""

    price = forms.DecimalField(
        label="price",
        min_value=Decimal("0"),
        max_digits=9,
        decimal_places=2,
        help_text="In the course currency, e.g. 119.00. 0 makes the course free.",
    )

    class Meta:
        model = Course
        fields = [
            "title",
            "slug",
            "status",
            "summary",
            "description",
            "image",
            "image_alt",
            "currency",
            "ce_credits",
            "level",
            "target_audience",
            "format_summary",
            "schedule",
            "conflict_of_interest",
            "require_all_sections",
        ]

    # Set by CourseAdmin when a save was rolled back because publishing rules failed.
    publish_blockers: list[str] = []
    files_dropped = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = Decimal(self.instance.price_cents) / 100

    def clean(self):
        data = super().clean()
        if self.publish_blockers and data.get("status") == Course.Status.PUBLISHED:
            again = " Choose the files to upload again." if self.files_dropped else ""
            self.add_error(
                "status",
                f"The course cannot be published yet: {'; '.join(self.publish_blockers)}. "
                f"Nothing was saved: add what is missing, or save it as a draft.{again}",
            )
        return data

    def save(self, commit: bool = True) -> Course:
        self.instance.price_cents = int(self.cleaned_data["price"] * 100)
        return super().save(commit=commit)


class PrivateFileInput(forms.ClearableFileInput):
    """Course files have no public URL, so the widget names the file instead of linking."""

    template_name = "admin/widgets/private_file_input.html"
    audience = "course material, served to enrolled learners only"

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", ""))

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["audience"] = self.audience
        return context


class StaffOnlyFileInput(PrivateFileInput):
    audience = "private: staff download it from the link above"


PRIVATE_FILE_WIDGETS = {
    models.FileField: {"widget": PrivateFileInput},
    models.ImageField: {"widget": PrivateFileInput},
}


class SectionInline(LabelledStackedInline):
    model = Section
    extra = 0
    fields = ["order", "title", "body"]
    ordering = ["order", "pk"]


class MediaCheckedForm(forms.ModelForm):
    """Runs each new upload's content check (courses.media_checks), named by field."""

    checks: dict = {}

    def clean(self):
        data = super().clean()
        for name, check in self.checks.items():
            upload = data.get(name)
            if isinstance(upload, UploadedFile):
                try:
                    check(upload)
                except ValidationError as error:
                    self.add_error(name, error)
        return data


class AudioTrackForm(MediaCheckedForm):
    checks = {"file": media_checks.audio_check}


class VideoForm(MediaCheckedForm):
    checks = {"file": media_checks.video_check, "captions": media_checks.captions_check}


class AudioTrackInline(LabelledStackedInline):
    model = AudioTrack
    form = AudioTrackForm
    extra = 0
    fields = ["order", "title", "section", "file", "duration_seconds", "transcript"]
    readonly_fields = ["duration_seconds"]
    formfield_overrides = PRIVATE_FILE_WIDGETS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            course_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Section.objects.filter(course_id=course_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class VideoInline(LabelledStackedInline):
    model = Video
    form = VideoForm
    extra = 0
    fields = ["order", "title", "file", "poster", "captions", "captions_language", "transcript"]
    formfield_overrides = PRIVATE_FILE_WIDGETS


class AsOfForm(forms.Form):
    when = forms.DateTimeField(
        label="Date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["when"].help_text = f"In {timezone.get_current_timezone_name()} time."


@admin.register(Course)
class CourseAdmin(ContentHistoryAdmin):
    form = CourseAdminForm

    class Media:
        # Names the instructor pickers (axe: aria-input-field-name); see the script.
        js = ["js/admin-autocomplete-labels.js"]

    list_display = [
        "title",
        "status",
        "level",
        "ce_credits",
        "price",
        "objective_count",
        "published_at",
        "updated_at",
    ]
    list_filter = ["status", "level", "programs", "instructors"]
    search_fields = ["title", "slug", "summary", "objectives__text"]
    ordering = ["title"]  # also the order of the course pickers elsewhere in admin
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_at", "created_at", "updated_at"]
    inlines = [
        LearningObjectiveInline,
        CourseInstructorInline,
        CourseApprovalInline,
        SectionInline,
        AudioTrackInline,
        VideoInline,
    ]
    actions = ["publish_courses", "unpublish_courses", "delete_selected"]
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "published_at", "summary", "description"]}),
        ("Image", {"fields": ["image", "image_alt"]}),
        ("Price and credits", {"fields": ["price", "currency", "ce_credits"]}),
        ("Post-test", {"fields": ["require_all_sections"]}),
        (
            "Course facts",
            {
                "fields": [
                    "level",
                    "target_audience",
                    "format_summary",
                    "schedule",
                    "conflict_of_interest",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_objectives=Count("objectives"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.as_of_view)
        return [
            path("<path:object_id>/as-of/", view, name="courses_course_as_of"),
            *super().get_urls(),
        ]

    def as_of_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The course page, objectives, manuscript and instructors as they stood at a
        date and time the director picks: what a learner saw then."""
        course = get_object_or_404(Course, pk=object_id)
        if not self.has_view_permission(request, course):
            raise PermissionDenied
        form = AsOfForm(request.GET or None, initial={"when": timezone.localtime()})
        snapshot = when = None
        if form.is_valid():
            when = form.cleaned_data["when"]
            snapshot = course_as_of(course=course, when=when)
            # Shown again in the widget's own format (a link may carry microseconds).
            form = AsOfForm(initial={"when": timezone.localtime(when)})
        return TemplateResponse(
            request,
            "admin/courses/course/as_of.html",
            {
                **self.admin_site.each_context(request),
                "title": f"“{course}” as it stood on a date",
                "opts": self.model._meta,
                "original": course,
                "form": form,
                "when": when,
                "snapshot": snapshot,
                "history_starts": course_history_starts(course=course),
                "changes": course_content_changes(course=course, limit=30),
            },
        )

    @admin.display(description="price", ordering="price_cents")
    def price(self, obj: Course) -> str:
        return money(obj.price_cents, obj.currency)

    @admin.display(description="objectives", ordering="_objectives")
    def objective_count(self, obj: Course) -> int:
        return obj._objectives

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is AudioTrack:
            # Only a new file is read (still the upload on this host): reading an unchanged
            # one would fetch it from object storage again.
            replaced = [obj for obj, fields in formset.changed_objects if "file" in fields]
            for track in formset.new_objects + replaced:
                audio_track_read_duration(track=track)

    def save_model(self, request, obj: Course, form, change) -> None:
        if obj.status == Course.Status.PUBLISHED:
            obj.publish()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        """The publishing rules read the saved course and its inlines, so they run last,
        inside the admin's transaction: a refusal rolls the whole save back."""
        super().save_related(request, form, formsets, change)
        try:
            course_published_check(course=form.instance)
        except CoursePublishRefused:
            _delete_new_uploads([form, *(f for formset in formsets for f in formset.forms)])
            raise

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
        except CoursePublishRefused as refusal:
            # Show the same form again, the failed rules on its status field.
            for upload in request.FILES.values():
                upload.seek(0)
            request.publish_blockers = refusal.blockers
            return super().changeform_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and request.FILES and response.status_code == 200:
            # The form came back with errors. A browser never refills a file input, so the
            # files chosen are gone from the page: say which, before the director saves.
            names = ", ".join(sorted({f"“{upload.name}”" for upload in request.FILES.values()}))
            self.message_user(
                request,
                f"Nothing was saved, and the files you chose were not uploaded: {names}. "
                "Correct the errors below, then choose the files again before saving.",
                messages.WARNING,
            )
        return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        blockers = getattr(request, "publish_blockers", None)
        if blockers:
            attrs = {"publish_blockers": blockers, "files_dropped": bool(request.FILES)}
            form = type(form.__name__, (form,), attrs)
        return form

    @admin.action(description="Publish selected courses", permissions=["change"])
    def publish_courses(self, request: HttpRequest, queryset: QuerySet) -> None:
        published = 0
        for course in queryset:
            blockers = course_publish(course=course)
            if blockers:
                self.message_user(
                    request, f"“{course}” was not published: {', '.join(blockers)}.", messages.ERROR
                )
            else:
                published += 1
        if published:
            self.message_user(request, f"{published} course(s) published.", messages.SUCCESS)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        """A course that was sold is never deleted (its orders, enrollments and
        certificates are records to keep): say so, and offer to unpublish it instead."""
        course = self.get_object(request, unquote(object_id))
        if course is None or not self.has_delete_permission(request, course):
            return super().delete_view(request, object_id, extra_context)
        orders = course.orders.count()
        if not orders:
            return super().delete_view(request, object_id, extra_context)
        return TemplateResponse(
            request,
            "admin/courses/course/sold_no_delete.html",
            {
                **self.admin_site.each_context(request),
                "title": f"“{course}” was sold, so it is not deleted",
                "opts": self.model._meta,
                "original": course,
                "course": course,
                "orders": orders,
                "may_unpublish": self.has_change_permission(request, course),
            },
        )

    @admin.action(description="Delete selected courses (never sold)", permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet):
        sold = list(queryset.filter(orders__isnull=False).distinct())
        if sold:
            names = ", ".join(f"“{course}”" for course in sold)
            self.message_user(
                request,
                f"Nothing was deleted: {names} {'was' if len(sold) == 1 else 'were'} sold, and "
                "a sold course's orders, enrollments and certificates are kept. Use "
                "“Unpublish selected courses” to take it off sale instead.",
                messages.ERROR,
            )
            return None
        return admin_delete_selected(self, request, queryset)

    @admin.action(description="Unpublish selected courses (back to draft)", permissions=["change"])
    def unpublish_courses(self, request: HttpRequest, queryset: QuerySet) -> None:
        for course in queryset:
            course_unpublish(course=course)
        self.message_user(request, f"{queryset.count()} course(s) are drafts.", messages.SUCCESS)


INSTRUCTOR_DOCUMENTS = {"cv": "CV", "conflict_disclosure_file": "signed disclosure form"}


@admin.register(Instructor)
class InstructorAdmin(ContentHistoryAdmin):
    list_display = ["name", "credentials", "headline", "has_cv", "conflict_disclosed_on"]
    search_fields = ["name", "credentials", "bio"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.FileField: {"widget": StaffOnlyFileInput}}
    readonly_fields = ["documents"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "credentials", "headline", "bio", "photo"]}),
        (
            "CV and conflict of interest (private, for audits)",
            {
                "fields": [
                    "documents",
                    "cv",
                    "conflict_disclosure",
                    "conflict_disclosure_file",
                    "conflict_disclosed_on",
                ]
            },
        ),
    ]

    @admin.display(description="CV", boolean=True)
    def has_cv(self, obj: Instructor) -> bool:
        return bool(obj.cv)

    @admin.display(description="stored documents")
    def documents(self, obj: Instructor) -> str:
        # From the database, not the form: a refused upload is not a stored document.
        stored = Instructor.objects.filter(pk=obj.pk).values(*INSTRUCTOR_DOCUMENTS).first() or {}
        links = [
            (
                reverse("admin:courses_instructor_document", args=[obj.pk, field]),
                label,
                stored[field].rsplit("/", 1)[-1],
            )
            for field, label in INSTRUCTOR_DOCUMENTS.items()
            if stored.get(field)
        ]
        if not links:
            return "None yet."
        items = format_html_join("", '<li><a href="{}">Download the {}</a> ({})</li>', links)
        return format_html("<ul>{}</ul>", items)

    def get_urls(self):
        view = self.admin_site.admin_view(self.document_view)
        return [
            path(
                "<path:object_id>/document/<str:field>/",
                view,
                name="courses_instructor_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request: HttpRequest, object_id: str, field: str) -> FileResponse:
        """A CV or disclosure form, to staff who may view instructors; never a public URL."""
        instructor = get_object_or_404(Instructor, pk=object_id)
        if not self.has_view_permission(request, instructor):
            raise PermissionDenied
        document = getattr(instructor, field) if field in INSTRUCTOR_DOCUMENTS else None
        if not document:
            raise Http404("No such document.")
        try:
            handle = document.open("rb")
        except FileNotFoundError as missing:
            raise Http404("The stored file is missing.") from missing
        response = FileResponse(
            handle, as_attachment=True, filename=document.name.rsplit("/", 1)[-1]
        )
        response["Cache-Control"] = "private, no-store"
        return response


@admin.register(ProgramPolicies)
class ProgramPoliciesAdmin(ContentHistoryAdmin):
    list_display = ["__str__", "sponsor_name", "contact_email", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not ProgramPolicies.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CEBrokerProfessionCodeInline(admin.TabularInline):
    model = CEBrokerProfessionCode
    extra = 0
    fields = ["profession", "code"]


@admin.register(ApprovingBody)
class ApprovingBodyAdmin(ContentHistoryAdmin):
    list_display = ["abbreviation", "name", "credit_unit", "reports_to_cebroker"]
    search_fields = ["abbreviation", "name"]
    inlines = [CEBrokerProfessionCodeInline]


class ProviderApprovalForm(forms.ModelForm):
    """Professions and jurisdictions are stored as lists of codes; chosen from the lists."""

    professions = forms.MultipleChoiceField(
        choices=Profession.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The professions whose licensees this approval serves.",
    )
    jurisdictions = forms.MultipleChoiceField(
        choices=JURISDICTION_GROUPS,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Only for a state or provincial board: where it applies. None: everywhere.",
    )

    class Meta:
        model = ProviderApproval
        fields = [
            "body",
            "provider_number",
            "statement",
            "valid_from",
            "valid_until",
            "professions",
            "jurisdictions",
        ]


@admin.register(ProviderApproval)
class ProviderApprovalAdmin(ContentHistoryAdmin):
    form = ProviderApprovalForm
    list_display = ["__str__", "body", "valid_from", "valid_until", "professions_display"]
    list_filter = ["body"]
    search_fields = ["body__name", "body__abbreviation", "provider_number", "statement"]
    list_select_related = ["body"]

    @admin.display(description="professions")
    def professions_display(self, obj: ProviderApproval) -> str:
        return obj.professions_display
