import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from enrollment.access import access_ended_check
from enrollment.models import Enrollment, learner_state_queryset
from enrollment.pagecache import cache_learner_page, not_cacheable

from . import scoring, services
from .models import RATING_SCALE, Attempt, EvaluationResponse, Question

_FIELD = re.compile(r"^q(\d{1,12})$")


def _enrollment(request: HttpRequest, slug: str, *, state: bool = False) -> Enrollment:
    """The learner's active enrollment; with `state`, also the test rules and whether every
    section is read (Enrollment.with_learner_state), in the same one query."""
    if state:
        enrollments = learner_state_queryset("course__test_rules")
    else:
        enrollments = Enrollment.objects.active().select_related("course")
    enrollment = enrollments.filter(user=request.user, course__slug=slug).first()
    if enrollment is None:
        access_ended_check(request.user, {"course__slug": slug})
        raise Http404
    return enrollment


def _posted_answers(request: HttpRequest) -> dict[int, str]:
    answers = {}
    for key, value in request.POST.items():
        match = _FIELD.match(key)
        if match:
            answers[int(match.group(1))] = value.strip()
    return answers


@login_required
@require_safe
@cache_learner_page
def test_home(request: HttpRequest, slug: str) -> HttpResponse:
    # One query for the enrollment, its course, the test rules and whether every section is
    # read; one for the attempts; the question count comes from the course cache.
    enrollment = _enrollment(request, slug, state=True)
    attempts = list(enrollment.attempts.order_by("number"))
    passed = [a for a in attempts if a.passed and a.status == Attempt.Status.SUBMITTED]
    eligibility = services.attempt_eligibility(enrollment=enrollment, attempts=attempts)
    response = render(
        request,
        "testing/home.html",
        {
            "course": enrollment.course,
            "rules": services.rules_for(enrollment.course),
            "eligibility": eligibility,
            "attempts": [a for a in attempts if a.status != Attempt.Status.OPEN],
            "passed": passed[0] if passed else None,
            "question_count": services.active_question_count(enrollment.course),
        },
    )
    # While a wait between attempts runs, the page changes with the clock.
    return not_cacheable(response) if eligibility.retry_at else response


@login_required
@require_POST
def attempt_start(request: HttpRequest, slug: str) -> HttpResponse:
    enrollment = _enrollment(request, slug)
    try:
        attempt = services.attempt_start(enrollment=enrollment)
    except services.AttemptRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("testing:home", slug=slug)
    return redirect("testing:attempt", slug=slug, number=attempt.number)


@login_required
@require_safe
def attempt_view(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    enrollment = _enrollment(request, slug)
    attempt = get_object_or_404(Attempt, enrollment=enrollment, number=number)
    if not attempt.is_open:
        return _result(request, enrollment, attempt)
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices")
    }
    saved = dict(attempt.answers.values_list("question_id", "choice_id"))
    unanswered = scoring.unanswered_positions(
        question_ids=attempt.question_ids, answered={q for q, c in saved.items() if c}
    )
    items = []
    for position, qid in enumerate(attempt.question_ids, start=1):
        question = questions[qid]
        by_id = {c.pk: c for c in question.choices.all()}
        choices = [
            {
                "letter": services.LETTERS[i],
                "text": by_id[cid].text,
                "checked": saved.get(qid) == cid,
            }
            for i, cid in enumerate(attempt.choice_ids[str(qid)])
            if cid in by_id
        ]
        items.append({"position": position, "id": qid, "text": question.text, "choices": choices})
    remaining = None
    if attempt.deadline:
        remaining = max(int((attempt.deadline - timezone.now()).total_seconds()), 0)
    return render(
        request,
        "testing/attempt.html",
        {
            "course": enrollment.course,
            "attempt": attempt,
            "items": items,
            "answered": len(saved),
            "remaining_seconds": remaining,
            # After a submit with questions left unanswered: ask before grading.
            "unanswered": unanswered if "unanswered" in request.GET else [],
        },
    )


def _result(request: HttpRequest, enrollment: Enrollment, attempt: Attempt) -> HttpResponse:
    rules = services.rules_for(enrollment.course)
    missed = (
        attempt.answers.filter(is_correct=False)
        .select_related("question__objective")
        .order_by("question__order", "question_id")
    )
    objectives = []
    for answer in missed:
        objective = answer.question.objective
        if objective is not None and objective not in objectives:
            objectives.append(objective)
    return render(
        request,
        "testing/result.html",
        {
            "course": enrollment.course,
            "attempt": attempt,
            "rules": rules,
            "missed": missed if rules.show_missed_questions and not attempt.passed else [],
            "unanswered": sum(1 for a in missed if a.choice_id is None),
            "objectives": objectives,
            "eligibility": services.attempt_eligibility(enrollment=enrollment),
            "evaluated": EvaluationResponse.objects.filter(enrollment=enrollment).exists(),
        },
    )


@login_required
@require_POST
def attempt_save(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Autosave (fetch from the page's script) or the "Save my answers" button."""
    enrollment = _enrollment(request, slug)
    attempt = get_object_or_404(Attempt, enrollment=enrollment, number=number)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        saved = services.answers_save(
            attempt=attempt, user=request.user, posted=_posted_answers(request)
        )
    except (services.AttemptRefused, ValidationError) as error:
        message = " ".join(getattr(error, "messages", [str(error)]))
        if wants_json:
            # 409: the attempt moved on (graded, voided, out of time); 400: bad values.
            status = 409 if isinstance(error, services.AttemptRefused) else 400
            return JsonResponse({"saved": False, "error": message}, status=status)
        messages.error(request, message)
        return redirect("testing:attempt", slug=slug, number=number)
    if wants_json:
        return JsonResponse({"saved": True, "count": saved})
    messages.success(request, "Your answers are saved. You can come back and finish later.")
    return redirect("testing:attempt", slug=slug, number=number)


@login_required
@require_POST
def attempt_submit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Grade, unless questions are unanswered and the learner has not confirmed yet:
    then the answers are saved and the attempt page lists the unanswered questions."""
    enrollment = _enrollment(request, slug)
    attempt = get_object_or_404(Attempt, enrollment=enrollment, number=number)
    try:
        attempt = services.attempt_submit(
            attempt=attempt,
            user=request.user,
            posted=_posted_answers(request),
            unanswered_confirmed=request.POST.get("unanswered") == "confirmed",
        )
    except (services.AttemptRefused, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        if attempt.is_open:
            url = reverse("testing:attempt", args=[slug, number])
            return redirect(f"{url}?unanswered#unanswered")
    return redirect("testing:attempt", slug=slug, number=number)


@login_required
@require_http_methods(["GET", "POST"])
def evaluation(request: HttpRequest, slug: str) -> HttpResponse:
    enrollment = _enrollment(request, slug)
    if services.passed_attempt(enrollment) is None:
        messages.info(request, "The evaluation opens after you pass the post-test.")
        return redirect("testing:home", slug=slug)
    done = EvaluationResponse.objects.filter(enrollment=enrollment).first()
    errors = {}
    if request.method == "POST" and done is None:
        try:
            services.evaluation_submit(enrollment=enrollment, user=request.user, data=request.POST)
        except ValidationError as error:
            errors = {int(k): v[0] for k, v in error.message_dict.items()}
        else:
            messages.success(request, "Thank you: your evaluation was recorded.")
            return redirect("certificates:course", slug=slug)
    return render(
        request,
        "testing/evaluation.html",
        {
            "course": enrollment.course,
            "rows": [
                {
                    "item": item,
                    "value": request.POST.get(f"item_{item.pk}", ""),
                    "error": errors.get(item.pk, ""),
                    # The error summary links to the first radio (or the text box).
                    "field_id": f"item{item.pk}-{RATING_SCALE[0][0]}"
                    if item.kind == item.Kind.RATING
                    else f"item{item.pk}",
                }
                for item in services.evaluation_items(enrollment.course)
            ],
            "errors": errors,
            "done": done,
            "scale": [(str(value), label) for value, label in RATING_SCALE],
        },
    )
