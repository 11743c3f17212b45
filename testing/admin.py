import csv
import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from courses.models import Course

from . import question_csv
from .models import (
    Answer,
    Attempt,
    Choice,
    EvaluationAnswer,
    EvaluationItem,
    EvaluationResponse,
    Question,
    TestRules,
    TimeAccommodation,
)


class ChoiceFormSet(BaseInlineFormSet):
    """Two or more choices, exactly one of them correct."""

    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if len(kept) < 2:
            raise ValidationError("A question needs at least two choices.")
        correct = sum(1 for f in kept if f.cleaned_data.get("is_correct"))
        if correct != 1:
            raise ValidationError(f"Mark exactly one choice as correct (now {correct}).")


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 4
    fields = ["order", "text", "is_correct"]


class ImportForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.order_by("title"))
    file = forms.FileField(help_text="CSV with the columns of the export.")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["short_text", "course", "order", "objective", "retired_at"]
    list_editable = ["order"]
    list_filter = ["course", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["text", "choices__text"]
    list_select_related = ["course", "objective"]
    inlines = [ChoiceInline]
    actions = ["retire", "restore", "export_csv"]
    fields = ["course", "order", "text", "explanation", "objective", "retired_at"]
    readonly_fields = ["retired_at"]
    autocomplete_fields = ["course"]

    @admin.display(description="question")
    def short_text(self, obj: Question) -> str:
        return obj.text[:90]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "objective":
            kwargs["queryset"] = db_field.related_model.objects.select_related("course")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting would lose the history of attempts: retire instead.
        return (
            obj is not None
            and not obj.answers.exists()
            and super().has_delete_permission(request, obj)
        )

    @admin.action(description="Retire (no longer drawn; history kept)", permissions=["change"])
    def retire(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(retired_at__isnull=True).update(retired_at=timezone.now())
        self.message_user(request, f"{count} question(s) retired.", messages.SUCCESS)

    @admin.action(description="Bring back into use", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(retired_at=None)
        self.message_user(request, f"{count} question(s) back in use.", messages.SUCCESS)

    @admin.action(description="Export selected as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="questions.csv"'
        question_csv.export(
            queryset.prefetch_related("choices").select_related("objective"), response
        )
        return response

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="testing_question_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 2_000_000:
                form.add_error("file", "The file is larger than 2 MB.")
            else:
                try:
                    text = upload.read().decode("utf-8-sig")
                    count, skipped = question_csv.import_rows(
                        course=form.cleaned_data["course"], reader=csv.DictReader(io.StringIO(text))
                    )
                except (UnicodeDecodeError, ValidationError) as error:
                    form.add_error("file", getattr(error, "messages", [str(error)]))
                else:
                    self.message_user(
                        request,
                        f"{count} question(s) imported; {skipped} already in the bank skipped.",
                        messages.SUCCESS,
                    )
                    return redirect(reverse("admin:testing_question_changelist"))
        return TemplateResponse(
            request,
            "admin/testing/question_import.html",
            {**self.admin_site.each_context(request), "form": form, "title": "Import questions",
             "opts": self.model._meta},
        )  # fmt: skip


@admin.register(TestRules)
class TestRulesAdmin(admin.ModelAdmin):
    list_display = [
        "course",
        "passing_score",
        "max_attempts",
        "wait_minutes",
        "questions_per_attempt",
        "time_limit_minutes",
    ]
    autocomplete_fields = ["course"]


@admin.register(TimeAccommodation)
class TimeAccommodationAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "extra_minutes", "note"]
    raw_id_fields = ["enrollment"]
    search_fields = ["enrollment__user__email", "enrollment__course__title"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    fields = ["question", "choice", "is_correct", "saved_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = [
        "enrollment",
        "number",
        "status",
        "score",
        "passed",
        "started_at",
        "submitted_at",
    ]
    list_filter = ["status", "passed", "enrollment__course"]
    search_fields = ["enrollment__user__email", "enrollment__course__title"]
    list_select_related = ["enrollment__user", "enrollment__course"]
    inlines = [AnswerInline]
    readonly_fields = [f.name for f in Attempt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(EvaluationItem)
class EvaluationItemAdmin(admin.ModelAdmin):
    list_display = ["prompt", "course", "kind", "required", "active", "order"]
    list_editable = ["order", "active"]
    list_filter = ["kind", "active", "course"]


class EvaluationAnswerInline(admin.TabularInline):
    model = EvaluationAnswer
    extra = 0
    can_delete = False
    fields = ["item", "rating", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EvaluationResponse)
class EvaluationResponseAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "submitted_at"]
    list_filter = ["enrollment__course"]
    list_select_related = ["enrollment__user", "enrollment__course"]
    search_fields = ["enrollment__user__email", "enrollment__course__title"]
    inlines = [EvaluationAnswerInline]
    readonly_fields = ["enrollment", "submitted_at"]
    change_list_template = "admin/testing/evaluationresponse/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "summary/<int:course_id>/",
                self.admin_site.admin_view(self.summary_view),
                name="testing_evaluation_summary",
            ),
            path(
                "summary/<int:course_id>/csv/",
                self.admin_site.admin_view(self.summary_csv),
                name="testing_evaluation_csv",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        courses = Course.objects.filter(enrollments__evaluation__isnull=False).annotate(
            responses=Count("enrollments__evaluation")
        )
        return super().changelist_view(request, {**(extra_context or {}), "courses": courses})

    def _summary(self, course_id: int):
        course = Course.objects.get(pk=course_id)
        answers = EvaluationAnswer.objects.filter(response__enrollment__course=course)
        items = (
            answers.values("item__pk", "item__prompt", "item__kind")
            .annotate(count=Count("pk"), mean=Avg("rating"))
            .order_by("item__order", "item__pk")
        )
        comments = (
            answers.exclude(text="").select_related("item").order_by("-response__submitted_at")
        )
        responses = EvaluationResponse.objects.filter(enrollment__course=course).count()
        return course, items, comments, responses

    def summary_view(self, request: HttpRequest, course_id: int) -> HttpResponse:
        course, items, comments, responses = self._summary(course_id)
        return TemplateResponse(
            request,
            "admin/testing/evaluation_summary.html",
            {**self.admin_site.each_context(request), "title": f"Evaluations: {course}",
             "course": course, "items": items, "comments": comments, "responses": responses,
             "opts": self.model._meta},
        )  # fmt: skip

    def summary_csv(self, request: HttpRequest, course_id: int) -> HttpResponse:
        course = Course.objects.get(pk=course_id)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="evaluations-{course.slug}.csv"'
        writer = csv.writer(response)
        writer.writerow(["submitted_at", "learner_email", "item", "rating", "comment"])
        rows = (
            EvaluationAnswer.objects.filter(response__enrollment__course=course)
            .select_related("item", "response__enrollment__user")
            .order_by("response__submitted_at", "item__order")
        )
        for answer in rows:
            writer.writerow(
                [
                    answer.response.submitted_at.isoformat(),
                    answer.response.enrollment.user.email,
                    answer.item.prompt,
                    answer.rating or "",
                    question_csv.safe_cell(answer.text),
                ]
            )
        return response
