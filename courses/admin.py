from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from .caching import clear_page_cache
from .models import (
    Course,
    CourseInstructor,
    Instructor,
    LearningObjective,
    Program,
    ProgramPolicies,
)
from .templatetags.catalog import money


class LearningObjectiveInline(admin.TabularInline):
    model = LearningObjective
    extra = 1
    fields = ["order", "text"]
    ordering = ["order", "pk"]


class CourseInstructorInline(admin.TabularInline):
    model = CourseInstructor
    extra = 1
    autocomplete_fields = ["instructor"]
    fields = ["order", "instructor"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
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
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_at", "created_at", "updated_at"]
    inlines = [LearningObjectiveInline, CourseInstructorInline]
    actions = ["publish_courses", "unpublish_courses"]
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "published_at", "summary", "description"]}),
        ("Image", {"fields": ["image", "image_alt"]}),
        ("Price and credits", {"fields": ["price_cents", "currency", "ce_credits", "credit_type"]}),
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

    def save_model(self, request, obj: Course, form, change) -> None:
        if obj.status == Course.Status.PUBLISHED:
            obj.publish()
        super().save_model(request, obj, form, change)

    @admin.action(description="Publish selected courses", permissions=["change"])
    def publish_courses(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for course in queryset.exclude(status=Course.Status.PUBLISHED):
            course.publish()
            course.save(update_fields=["status", "published_at", "updated_at"])
            count += 1
        self.message_user(request, f"{count} course(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish selected courses (back to draft)", permissions=["change"])
    def unpublish_courses(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(status=Course.Status.PUBLISHED).update(status=Course.Status.DRAFT)
        clear_page_cache()  # update() sends no signal
        self.message_user(request, f"{count} course(s) moved back to draft.", messages.SUCCESS)


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
