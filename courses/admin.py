from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Count, QuerySet
from django.forms import Textarea
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.choices import JURISDICTION_GROUPS, Profession

from .models import (
    ApprovingBody,
    AudioTrack,
    CEBrokerProfessionCode,
    Course,
    CourseApproval,
    CourseInstructor,
    Instructor,
    LearningObjective,
    Program,
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


class LearningObjectiveInline(admin.TabularInline):
    model = LearningObjective
    extra = 1
    fields = ["order", "text"]
    ordering = ["order", "pk"]
    formfield_overrides = {models.CharField: {"widget": Textarea(attrs={"rows": 2, "cols": 80})}}


class CourseApprovalInline(admin.TabularInline):
    """The approvals a course carries, with the credits each grants (point 3 of issue 9)."""

    model = CourseApproval
    extra = 0
    fields = ["order", "approval", "credits", "credit_unit", "course_number"]
    verbose_name_plural = "approvals (credit lines printed on certificates)"


class CourseInstructorInline(admin.TabularInline):
    model = CourseInstructor
    extra = 1
    autocomplete_fields = ["instructor"]
    fields = ["order", "instructor"]


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

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", ""))


PRIVATE_FILE_WIDGETS = {
    models.FileField: {"widget": PrivateFileInput},
    models.ImageField: {"widget": PrivateFileInput},
}


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["order", "title", "body"]
    ordering = ["order", "pk"]


class AudioTrackInline(admin.StackedInline):
    model = AudioTrack
    extra = 0
    fields = ["order", "title", "section", "file", "duration_seconds", "transcript"]
    readonly_fields = ["duration_seconds"]
    formfield_overrides = PRIVATE_FILE_WIDGETS

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            course_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Section.objects.filter(course_id=course_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class VideoInline(admin.StackedInline):
    model = Video
    extra = 0
    fields = ["order", "title", "file", "poster", "captions", "captions_language", "transcript"]
    formfield_overrides = PRIVATE_FILE_WIDGETS


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseAdminForm
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
    actions = ["publish_courses", "unpublish_courses"]
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

    @admin.display(description="price", ordering="price_cents")
    def price(self, obj: Course) -> str:
        return money(obj.price_cents, obj.currency)

    @admin.display(description="objectives", ordering="_objectives")
    def objective_count(self, obj: Course) -> int:
        return obj._objectives

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is AudioTrack:
            for track in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
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
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CoursePublishRefused as refusal:
            # Show the same form again, the failed rules on its status field.
            for upload in request.FILES.values():
                upload.seek(0)
            request.publish_blockers = refusal.blockers
            return super().changeform_view(request, object_id, form_url, extra_context)

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

    @admin.action(description="Unpublish selected courses (back to draft)", permissions=["change"])
    def unpublish_courses(self, request: HttpRequest, queryset: QuerySet) -> None:
        for course in queryset:
            course_unpublish(course=course)
        self.message_user(request, f"{queryset.count()} course(s) are drafts.", messages.SUCCESS)


@admin.register(Instructor)
class InstructorAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "headline"]
    search_fields = ["name", "credentials", "bio"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["title", "course_count"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["courses"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_courses=Count("courses"))

    @admin.display(description="courses", ordering="_courses")
    def course_count(self, obj: Program) -> int:
        return obj._courses


@admin.register(ProgramPolicies)
class ProgramPoliciesAdmin(admin.ModelAdmin):
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
class ApprovingBodyAdmin(SimpleHistoryAdmin):
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
class ProviderApprovalAdmin(SimpleHistoryAdmin):
    form = ProviderApprovalForm
    list_display = ["__str__", "body", "valid_from", "valid_until", "professions_display"]
    list_filter = ["body"]
    search_fields = ["body__name", "body__abbreviation", "provider_number", "statement"]
    list_select_related = ["body"]

    @admin.display(description="professions")
    def professions_display(self, obj: ProviderApproval) -> str:
        return obj.professions_display
