import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.models import User
from courses.models import Course, LearningObjective
from courses.services import CoursePublishRefused, course_content_change
from courses.structure import structure_changed
from enrollment.models import Enrollment
from records.admin import StatusHistoryInline

from . import question_csv, services
from .models import (
    Attempt,
    AttemptStatusChange,
    Choice,
    EvaluationAnswer,
    EvaluationItem,
    EvaluationResponse,
    Question,
    TestRules,
    TimeAccommodation,
)
from .publishing import question_bank_problems

EXPORT_PERMISSION = "testing.export_evaluations"


class AutocompleteLabels:
    """Gives admin autocomplete pickers the name of their field (see the script)."""

    class Media:
        js = ["js/admin-autocomplete-labels.js"]


def _row_labelled(form_class, field_names: list[str]):
    """A change-list form whose editable cells are labelled with their row (axe: label)."""

    class Labelled(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name in field_names:
                label = self.fields[name].label
                self.fields[name].widget.attrs["aria-label"] = f"{label} of “{self.instance}”"

    return Labelled


class ChoiceForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = ["order", "text", "is_correct"]

    def validate_constraints(self):
        # Each row checked alone against the database would see the old key and refuse
        # the new one; ChoiceFormSet checks "exactly one correct" across all the rows.
        exclude = self._get_validation_exclusions() | {"question"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)


class ChoiceFormSet(BaseInlineFormSet):
    """Two or more choices, exactly one of them correct; the key can move in one save."""

    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if len(kept) < 2:
            raise ValidationError("A question needs at least two choices.")
        correct = sum(1 for f in kept if f.cleaned_data.get("is_correct"))
        if correct != 1:
            raise ValidationError(f"Mark exactly one choice as correct (now {correct}).")

    def add_fields(self, form, index) -> None:
        # A table row's inputs are named only by their column header, which assistive
        # technology does not read as a label (axe: label): name each with its row.
        super().add_fields(form, index)
        row = f"choice {index + 1}" if index is not None else "new choice"
        for field in form.fields.values():
            if not field.widget.is_hidden:
                field.widget.attrs["aria-label"] = f"{field.label} ({row})"

    def save_existing_objects(self, commit=True):
        # The database allows one correct choice per question at every moment (a partial
        # unique index, which PostgreSQL cannot defer). Clear the flag on every row that
        # will not be correct after this save first, inside the admin's transaction, so
        # the rows can then be saved in any order.
        if commit and self.instance.pk:
            keep = [
                f.instance.pk
                for f in self.initial_forms
                if f.instance.pk
                and f not in self.deleted_forms
                and f.cleaned_data.get("is_correct")
            ]
            self.instance.choices.filter(is_correct=True).exclude(pk__in=keep).update(
                is_correct=False
            )
        return super().save_existing_objects(commit)


class ChoiceInline(admin.TabularInline):
    model = Choice
    form = ChoiceForm
    formset = ChoiceFormSet
    extra = 4
    fields = ["order", "text", "is_correct"]


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["course", "order", "text", "explanation", "objective"]

    def clean(self):
        data = super().clean()
        # On the change page the course is read-only, so not a field of the form.
        course = data.get("course") if "course" in self.fields else self.instance.course
        objective = data.get("objective")
        if objective is not None and course is not None and objective.course_id != course.pk:
            self.add_error(
                "objective", f"This learning objective belongs to another course, not “{course}”."
            )
        return data


class ImportForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.order_by("title"))
    file = forms.FileField(
        help_text="A .csv file of up to 2 MB with the columns of the export, separated by "
        "commas, semicolons or tabs (UTF-8 or Windows-1252)."
    )


@admin.register(Question)
class QuestionAdmin(AutocompleteLabels, admin.ModelAdmin):
    form = QuestionForm
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

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Moving a question to another course would rewrite the history of its attempts.
        return [*self.readonly_fields, "course"] if obj is not None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        objective = form.base_fields.get("objective")
        if objective is not None:
            course_id = obj.course_id if obj is not None else request.GET.get("course")
            queryset = LearningObjective.objects.select_related("course")
            if course_id and str(course_id).isdigit():
                objective.queryset = queryset.filter(course_id=course_id)
            else:
                # The add page before a course is chosen: every course's objectives, named
                # with their course; the form refuses one from another course.
                objective.queryset = queryset.order_by("course__title", "order")
                objective.label_from_instance = lambda o: f"{o.course}: {o.order}. {o.text}"
                objective.help_text = "Must belong to the question's course."
        return form

    def get_changelist_form(self, request, **kwargs):
        return _row_labelled(super().get_changelist_form(request, **kwargs), ["order"])

    def get_actions(self, request: HttpRequest, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)  # retire instead; history stays
        return actions

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting would lose the history of attempts: retire instead.
        return (
            obj is not None
            and not obj.answers.exists()
            and super().has_delete_permission(request, obj)
        )

    def delete_model(self, request: HttpRequest, obj: Question) -> None:
        with course_content_change(course=obj.course):
            super().delete_model(request, obj)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except CoursePublishRefused as refusal:
            self.message_user(request, f"Not deleted: {refusal}", messages.ERROR)
            return redirect(reverse("admin:testing_question_change", args=[object_id]))

    @admin.action(description="Retire (no longer drawn; history kept)", permissions=["change"])
    def retire(self, request: HttpRequest, queryset: QuerySet) -> None:
        retired = 0
        for course in Course.objects.filter(questions__in=queryset).distinct():
            try:
                with course_content_change(course=course):
                    count = queryset.filter(course=course, retired_at__isnull=True).update(
                        retired_at=timezone.now()
                    )
            except CoursePublishRefused as refusal:
                self.message_user(
                    request,
                    f"Questions of “{course}” were not retired: it is published, and then "
                    f"{', '.join(refusal.blockers)}. Add questions, lower “questions per "
                    "attempt” in its test rules, or unpublish the course first.",
                    messages.ERROR,
                )
            else:
                retired += count
        if retired:
            structure_changed()  # queryset updates send no post_save: the count is cached
            self.message_user(request, f"{retired} question(s) retired.", messages.SUCCESS)

    @admin.action(description="Bring back into use", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(retired_at=None)
        structure_changed()  # queryset updates send no post_save: the count is cached
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
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > question_csv.MAX_BYTES:
                    raise ValidationError("The file is larger than 2 MB.")
                result = question_csv.questions_import(
                    course=form.cleaned_data["course"], data=upload.read()
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                self.message_user(
                    request,
                    f"{result.added} question(s) imported; {result.skipped} already in the "
                    "bank skipped.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:testing_question_changelist"))
        return TemplateResponse(
            request,
            "admin/testing/question_import.html",
            {**self.admin_site.each_context(request), "form": form, "title": "Import questions",
             "opts": self.model._meta, "columns": question_csv.COLUMNS},
        )  # fmt: skip


class TestRulesForm(forms.ModelForm):
    class Meta:
        model = TestRules
        fields = [
            "course",
            "passing_score",
            "max_attempts",
            "wait_minutes",
            "questions_per_attempt",
            "shuffle_questions",
            "shuffle_choices",
            "time_limit_minutes",
            "show_missed_questions",
        ]

    def clean(self):
        data = super().clean()
        course, per_attempt = data.get("course"), data.get("questions_per_attempt")
        if course is not None and per_attempt:
            active = Question.objects.active().filter(course=course).count()
            if question_bank_problems(active=active, per_attempt=per_attempt):
                self.add_error(
                    "questions_per_attempt",
                    f"“{course}” has {active} active question{'s' if active != 1 else ''}, "
                    f"so an attempt cannot draw {per_attempt}. Add questions first, or enter "
                    f"{active or 'a smaller number'} or less (empty: every active question).",
                )
        return data


@admin.register(TestRules)
class TestRulesAdmin(AutocompleteLabels, admin.ModelAdmin):
    form = TestRulesForm
    list_display = [
        "course",
        "passing_score",
        "max_attempts",
        "wait_minutes",
        "questions_per_attempt",
        "time_limit_minutes",
    ]
    list_select_related = ["course"]
    autocomplete_fields = ["course"]


class TimeAccommodationForm(forms.ModelForm):
    """The director picks a learner and a course; the accommodation is stored on the
    learner's active enrollment in that course."""

    learner = forms.ModelChoiceField(
        queryset=User.objects.all(),
        widget=AutocompleteSelect(Enrollment._meta.get_field("user"), admin.site),
        help_text="Type part of the learner's email or certificate name.",
    )
    course = forms.ModelChoiceField(
        queryset=Course.objects.all(),
        widget=AutocompleteSelect(Enrollment._meta.get_field("course"), admin.site),
    )

    class Meta:
        model = TimeAccommodation
        fields = ["learner", "course", "extra_minutes", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["learner"] = self.instance.enrollment.user_id
            self.initial["course"] = self.instance.enrollment.course_id

    def clean(self):
        data = super().clean()
        learner, course = data.get("learner"), data.get("course")
        if learner is None or course is None:
            return data
        enrollment = Enrollment.objects.active().filter(user=learner, course=course).first()
        if enrollment is None:
            raise ValidationError(f"{learner} has no active enrollment in “{course}”.")
        taken = TimeAccommodation.objects.filter(enrollment=enrollment).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                f"{learner} already has a time accommodation for “{course}”: change that one."
            )
        self.instance.enrollment = enrollment
        return data


@admin.register(TimeAccommodation)
class TimeAccommodationAdmin(AutocompleteLabels, admin.ModelAdmin):
    form = TimeAccommodationForm
    list_display = ["learner", "course", "extra_minutes", "note"]
    list_select_related = ["enrollment__user", "enrollment__course"]
    search_fields = ["enrollment__user__email", "enrollment__course__title"]

    @admin.display(description="learner", ordering="enrollment__user__email")
    def learner(self, obj: TimeAccommodation) -> str:
        return str(obj.enrollment.user)

    @admin.display(description="course", ordering="enrollment__course__title")
    def course(self, obj: TimeAccommodation) -> str:
        return str(obj.enrollment.course)


class AttemptStatusChangeInline(StatusHistoryInline):
    model = AttemptStatusChange

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each row prints its change (which names the attempt) and who made it.
        related = ["actor_user", "attempt__enrollment__user", "attempt__enrollment__course"]
        return super().get_queryset(request).select_related(*related)


class VoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        help_text="Kept in the attempt's history (the learner is told only that it was voided).",
    )


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Attempts are records: read-only, never deleted; the Director may void one."""

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
    inlines = [AttemptStatusChangeInline]
    actions = ["void"]

    class Media:
        css = {"all": ["css/admin-testing.css"]}

    fieldsets = [
        (None, {"fields": ["enrollment", "number", "status", "result", "timed_out"]}),
        ("Times", {"fields": ["started_at", "deadline", "submitted_at"]}),
        ("Answers", {"fields": ["answer_sheet"]}),
    ]
    readonly_fields = [
        "enrollment",
        "number",
        "status",
        "result",
        "timed_out",
        "started_at",
        "deadline",
        "submitted_at",
        "answer_sheet",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The page of one attempt is read-only (no Save button); "change" on the list
        # means the right to void attempts.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="result")
    def result(self, obj: Attempt) -> str:
        if obj.passed is None:
            return "not graded"
        return f"{obj.score_display}, {'passed' if obj.passed else 'not passed'}"

    @admin.display(description="answer sheet")
    def answer_sheet(self, obj: Attempt) -> str:
        """Each question as drawn, with the letter chosen and the letter of the key."""
        questions = Question.objects.filter(pk__in=obj.question_ids).prefetch_related("choices")
        by_id = {q.pk: q for q in questions}
        answers = {a.question_id: a for a in obj.answers.all()}
        rows = []
        for position, qid in enumerate(obj.question_ids, start=1):
            question = by_id[qid]
            order = obj.choice_ids.get(str(qid), [])
            texts = {c.pk: c.text for c in question.choices.all()}
            key = next((c.pk for c in question.choices.all() if c.is_correct), None)
            answer = answers.get(qid)
            chosen = answer.choice_id if answer else None
            if obj.is_open or (obj.is_voided and obj.submitted_at is None):
                graded = "not graded"
            else:
                graded = "correct" if answer and answer.is_correct else "incorrect"
            rows.append(
                (
                    position,
                    question.text,
                    self._lettered(order, chosen, texts) if chosen else "no answer",
                    self._lettered(order, key, texts) if key else "no key",
                    graded,
                )
            )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            '<div class="answer-sheet-wrap" role="region" aria-label="Answer sheet" tabindex="0">'
            '<table class="answer-sheet"><caption>Questions in the order the learner saw '
            "them, letters as on the learner's page, the key as it is now</caption>"
            '<thead><tr><th scope="col">#</th><th scope="col">Question</th>'
            '<th scope="col">Chosen</th><th scope="col">Correct</th><th scope="col">Graded</th>'
            "</tr></thead><tbody>{}</tbody></table></div>",
            body,
        )

    @staticmethod
    def _lettered(order: list[int], choice_id: int, texts: dict[int, str]) -> str:
        if choice_id not in order:
            return texts.get(choice_id, "")
        return f"{services.LETTERS[order.index(choice_id)]}: {texts.get(choice_id, '')}"

    @admin.action(
        description="Void this attempt (it stops counting)…",
        description_plural="Void selected attempts (they stop counting)…",
        permissions=["change"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def void(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = VoidForm(request.POST if "confirm" in request.POST else None)
        # On the attempt's own page the action field carries the change form's prefix.
        action_field = next(
            (name for name in ("action", "CHANGE_FORM-action") if request.POST.get(name)),
            "action",
        )
        if form.is_bound and form.is_valid():
            for attempt in queryset:
                try:
                    services.attempt_void(
                        attempt=attempt, reason=form.cleaned_data["reason"], actor_user=request.user
                    )
                except (services.AttemptRefused, ValidationError) as error:
                    problem = " ".join(getattr(error, "messages", [str(error)]))
                    self.message_user(request, f"{attempt}: {problem}", messages.ERROR)
                else:
                    self.message_user(request, f"{attempt}: voided.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/testing/void_confirmation.html",
            {**self.admin_site.each_context(request), "title": "Void attempts", "form": form,
             "attempts": queryset, "action_field": action_field,
             "action": request.POST.get(action_field),
             "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
             "opts": self.model._meta},
        )  # fmt: skip


@admin.register(EvaluationItem)
class EvaluationItemAdmin(admin.ModelAdmin):
    list_display = ["prompt", "course", "kind", "required", "active", "order"]
    list_editable = ["order", "active"]
    list_filter = ["kind", "active", "course"]
    list_select_related = ["course"]

    def get_changelist_form(self, request, **kwargs):
        return _row_labelled(super().get_changelist_form(request, **kwargs), ["order", "active"])


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
    """Evaluations are records the approving bodies audit: read-only, never deleted."""

    list_display = ["enrollment", "submitted_at"]
    list_filter = ["enrollment__course"]
    list_select_related = ["enrollment__user", "enrollment__course"]
    search_fields = ["enrollment__user__email", "enrollment__course__title"]
    inlines = [EvaluationAnswerInline]
    readonly_fields = ["enrollment", "submitted_at"]
    change_list_template = "admin/testing/evaluationresponse/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
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
        courses = []
        if request.user.has_perm(EXPORT_PERMISSION):
            courses = Course.objects.filter(enrollments__evaluation__isnull=False).annotate(
                responses=Count("enrollments__evaluation")
            )
        return super().changelist_view(request, {**(extra_context or {}), "courses": courses})

    def _course(self, request: HttpRequest, course_id: int) -> Course:
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(Course, pk=course_id)

    def summary_view(self, request: HttpRequest, course_id: int) -> HttpResponse:
        course = self._course(request, course_id)
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
        return TemplateResponse(
            request,
            "admin/testing/evaluation_summary.html",
            {**self.admin_site.each_context(request), "title": f"Evaluations: {course}",
             "course": course, "items": items, "comments": comments, "responses": responses,
             "opts": self.model._meta},
        )  # fmt: skip

    def summary_csv(self, request: HttpRequest, course_id: int) -> HttpResponse:
        course = self._course(request, course_id)
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
