"""Starting, answering, submitting, grading and voiding post-test attempts; the evaluation.

Every write to an attempt or its answers (autosave, submit, void) first takes the
attempt's row lock, and nothing locks the answer rows before it: one order of locks, so
an autosave racing the submit waits for it and then sees the attempt graded.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random, SystemRandom

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from courses.structure import course_cached
from enrollment.models import Enrollment
from enrollment.progress import post_test_unlocked
from records.models import Actor
from records.transitions import status_move, status_start

from . import scoring
from .models import (
    RATING_SCALE,
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

# Answers that reach the server this long after the deadline still count (network lag).
GRACE = timedelta(seconds=30)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class AttemptRefused(Exception):
    """The learner may not start, answer or submit now; the message says why."""


class AttemptClosed(AttemptRefused):
    """The attempt no longer takes answers (graded, voided or out of time)."""


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str = ""
    open_attempt: Attempt | None = None
    attempts_used: int = 0  # voided attempts do not count
    attempts_left: int | None = None  # None: unlimited
    retry_at: datetime | None = None  # when the wait before the next attempt ends


def rules_for(course) -> TestRules:
    rules = getattr(course, "test_rules", None)
    return rules if rules is not None else TestRules(course=course)


def active_question_count(course) -> int:
    """How many questions the course's bank has, from the course cache (courses/structure.py;
    a saved question or rule replaces its version)."""
    return course_cached(
        "active-questions",
        course.pk,
        lambda: Question.objects.active().filter(course=course).count(),
    )


def attempt_eligibility(
    *, enrollment: Enrollment, now=None, attempts: list[Attempt] | None = None
) -> Eligibility:
    """Whether the learner may start (or resume) an attempt. `attempts`: the enrollment's
    attempts in number order, when the caller has already loaded them."""
    now = now or timezone.now()
    if not enrollment.is_active:
        return Eligibility(False, "Your enrollment in this course is not active.")
    if attempts is None:
        attempts = list(enrollment.attempts.order_by("number"))
    attempts = [a for a in attempts if not a.is_voided]
    rules = rules_for(enrollment.course)
    used = len(attempts)
    left = None if rules.max_attempts is None else max(rules.max_attempts - used, 0)
    counts = {"attempts_used": used, "attempts_left": left}
    open_attempt = next((a for a in attempts if a.is_open), None)
    if open_attempt is not None:
        return Eligibility(True, open_attempt=open_attempt, **counts)
    if any(a.passed for a in attempts):
        return Eligibility(False, "You have passed the post-test.", **counts)
    if not post_test_unlocked(enrollment=enrollment):
        return Eligibility(
            False, "Complete every section of the course to open the post-test.", **counts
        )
    if left == 0:
        return Eligibility(
            False,
            f"You have used all {rules.max_attempts} attempts. Please contact the Director.",
            **counts,
        )
    if attempts and rules.wait_minutes:
        ready = attempts[-1].submitted_at + timedelta(minutes=rules.wait_minutes)
        if now < ready:
            minutes = int((ready - now).total_seconds() // 60) + 1
            return Eligibility(
                False, f"You can try again in {minutes} minute(s).", retry_at=ready, **counts
            )
    if not active_question_count(enrollment.course):
        return Eligibility(False, "The post-test for this course is not available yet.", **counts)
    return Eligibility(True, **counts)


def attempt_start(*, enrollment: Enrollment, rng: Random | None = None) -> Attempt:
    """Start (or resume) an attempt; its questions and choice order are drawn once."""
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        eligibility = attempt_eligibility(enrollment=enrollment)
        if eligibility.open_attempt is not None:
            return eligibility.open_attempt
        if not eligibility.allowed:
            raise AttemptRefused(eligibility.reason)
        rules = rules_for(enrollment.course)
        questions = list(
            Question.objects.active()
            .filter(course=enrollment.course)
            .order_by("order", "pk")
            .values_list("pk", flat=True)
        )
        choices: dict[int, list[int]] = {qid: [] for qid in questions}
        for qid, cid in Choice.objects.filter(question__in=questions).values_list(
            "question_id", "pk"
        ):
            choices[qid].append(cid)
        question_ids, choice_ids = scoring.draw(
            question_ids=questions,
            choices=choices,
            count=rules.questions_per_attempt,
            shuffle_questions=rules.shuffle_questions,
            shuffle_choices=rules.shuffle_choices,
            rng=rng or SystemRandom(),
        )
        deadline = None
        if rules.time_limit_minutes:
            extra = TimeAccommodation.objects.filter(enrollment=enrollment).first()
            minutes = rules.time_limit_minutes + (extra.extra_minutes if extra else 0)
            deadline = timezone.now() + timedelta(minutes=minutes)
        attempt = Attempt.objects.create(
            enrollment=enrollment,
            number=enrollment.attempts.count() + 1,
            question_ids=question_ids,
            choice_ids=choice_ids,
            deadline=deadline,
        )
        status_start(attempt, actor=Actor.LEARNER, actor_user=enrollment.user)
        return attempt


def _choice_for(attempt: Attempt, question_id: int, letter: str) -> int:
    """The choice id behind a displayed letter; refuses anything not on this attempt."""
    order = attempt.choice_ids.get(str(question_id))
    if order is None:
        raise ValidationError("That question is not part of this attempt.")
    if len(letter) != 1 or letter not in LETTERS[: len(order)]:
        raise ValidationError("That answer is not one of the choices offered.")
    return order[LETTERS.index(letter)]


def _accepts_answers(attempt: Attempt, now) -> bool:
    return attempt.is_open and (attempt.deadline is None or now <= attempt.deadline + GRACE)


def _locked(attempt: Attempt, user) -> Attempt:
    """The attempt, re-read under its row lock (the one lock every writer takes first)."""
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("enrollment__course__test_rules")
        .get(pk=attempt.pk)
    )
    if attempt.enrollment.user_id != user.pk:
        raise AttemptRefused("This attempt is not yours.")
    return attempt


def _closed_reason(attempt: Attempt) -> str:
    if attempt.is_voided:
        return (
            "The Director voided this attempt, so its answers can no longer change. "
            "Start a new attempt from the post-test page."
        )
    if not attempt.is_open:
        return "This attempt has been graded: its answers can no longer change."
    return (
        "Time is up for this attempt: answers can no longer be saved. Submit it to have "
        "the answers saved in time graded."
    )


def _answers_store(attempt: Attempt, resolved: dict[int, int], now) -> None:
    """Write the chosen answers, in question order, with a fixed number of queries."""
    existing = {a.question_id: a for a in attempt.answers.filter(question_id__in=resolved)}
    changed, created = [], []
    for qid in sorted(resolved):
        answer = existing.get(qid)
        if answer is None:
            created.append(Answer(attempt=attempt, question_id=qid, choice_id=resolved[qid]))
        elif answer.choice_id != resolved[qid]:
            answer.choice_id, answer.saved_at = resolved[qid], now
            changed.append(answer)
    Answer.objects.bulk_update(changed, ["choice", "saved_at"])
    Answer.objects.bulk_create(created)


def answers_save(*, attempt: Attempt, user, posted: dict[int, str]) -> int:
    """Save the learner's answers so far (autosave). Returns how many were saved.

    Checked under the same row lock as the submit: once the attempt is graded (or voided,
    or out of time) the save is refused with AttemptClosed and nothing changes.
    """
    with transaction.atomic():
        attempt = _locked(attempt, user)
        if not attempt.enrollment.is_active:
            raise AttemptRefused("Your enrollment in this course is not active.")
        now = timezone.now()
        if not _accepts_answers(attempt, now):
            raise AttemptClosed(_closed_reason(attempt))
        resolved = {qid: _choice_for(attempt, qid, letter) for qid, letter in posted.items()}
        _answers_store(attempt, resolved, now)
    return len(resolved)


def attempt_submit(
    *, attempt: Attempt, user, posted: dict[int, str], unanswered_confirmed: bool = True
) -> Attempt:
    """Save the last answers and grade, once. A double or concurrent submit grades once.

    With `unanswered_confirmed` false and questions still unanswered (and time left), the
    answers are saved and the attempt stays open, so that the page can ask first.
    """
    with transaction.atomic():
        attempt = _locked(attempt, user)
        if not attempt.is_open:
            return attempt
        if not attempt.enrollment.is_active:
            raise AttemptRefused("Your enrollment in this course is not active.")
        now = timezone.now()
        if _accepts_answers(attempt, now):
            resolved = {qid: _choice_for(attempt, qid, letter) for qid, letter in posted.items()}
            if not unanswered_confirmed:
                saved = set(
                    attempt.answers.filter(choice__isnull=False).values_list(
                        "question_id", flat=True
                    )
                )
                if scoring.unanswered_positions(
                    question_ids=attempt.question_ids, answered=saved | set(resolved)
                ):
                    _answers_store(attempt, resolved, now)
                    return attempt
        else:
            resolved = {}  # time ran out: only the answers saved in time count
            attempt.timed_out = True
        return _grade(attempt, resolved, now, user)


def _grade(attempt: Attempt, new_answers: dict[int, int], now, user) -> Attempt:
    """Grade with a fixed number of queries, whatever the number of questions."""
    existing = {a.question_id: a for a in attempt.answers.all()}
    to_create = []
    for qid, cid in new_answers.items():
        if qid in existing:
            existing[qid].choice_id = cid
        else:
            to_create.append(Answer(attempt=attempt, question_id=qid, choice_id=cid))
    answers = {**existing, **{a.question_id: a for a in to_create}}
    key = dict(
        Choice.objects.filter(question_id__in=attempt.question_ids, is_correct=True).values_list(
            "question_id", "pk"
        )
    )
    result = scoring.grade(
        question_ids=attempt.question_ids,
        answers={qid: a.choice_id for qid, a in answers.items()},
        key=key,
        passing=rules_for(attempt.enrollment.course).passing_score,
    )
    for qid, answer in answers.items():
        answer.is_correct = result.correct[qid]
    Answer.objects.bulk_create(to_create)
    if existing:
        Answer.objects.bulk_update(existing.values(), ["choice", "is_correct"])
    unanswered = [
        Answer(attempt=attempt, question_id=qid, choice=None, is_correct=False)
        for qid in attempt.question_ids
        if qid not in answers
    ]
    Answer.objects.bulk_create(unanswered)
    attempt.submitted_at = now
    attempt.score = result.score
    attempt.passed = result.passed
    status_move(
        attempt,
        to=Attempt.Status.SUBMITTED,
        actor=Actor.LEARNER,
        actor_user=user,
        note="Time ran out; the answers saved in time were graded." if attempt.timed_out else "",
        update_fields=("submitted_at", "score", "passed", "timed_out"),
    )
    return attempt


def attempt_void(*, attempt: Attempt, reason: str, actor_user) -> Attempt:
    """The Director voids an attempt that was not passed, with a reason.

    The attempt keeps its answers and history but no longer counts toward the attempts
    allowed or the wait between them. A passed attempt cannot be voided: it opened the
    evaluation and the certificate (revoke the certificate instead).
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the attempt is voided.")
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.passed:
            raise AttemptRefused(
                "A passed attempt cannot be voided: it opened the evaluation and the "
                "certificate. Revoke the certificate instead."
            )
        if attempt.is_voided:
            raise AttemptRefused("This attempt is already voided.")
        status_move(
            attempt,
            to=Attempt.Status.VOIDED,
            actor=Actor.DIRECTOR,
            actor_user=actor_user,
            note=reason,
            update_fields=(),
        )
    return attempt


def passed_attempt(enrollment: Enrollment) -> Attempt | None:
    return enrollment.attempts.filter(passed=True, status=Attempt.Status.SUBMITTED).first()


# --- evaluation ------------------------------------------------------------------------

RATING_ERROR = f"Choose one answer, from “{RATING_SCALE[0][1]}” to “{RATING_SCALE[-1][1]}”."


def evaluation_items(course) -> list[EvaluationItem]:
    """The site-wide items plus the course's own, in order."""
    return list(
        EvaluationItem.objects.filter(active=True)
        .filter(Q(course__isnull=True) | Q(course=course))
        .order_by("order", "pk")
    )


def evaluation_submit(*, enrollment: Enrollment, user, data: dict[str, str]) -> EvaluationResponse:
    """Record the evaluation once, after the post-test is passed."""
    if enrollment.user_id != user.pk or not enrollment.is_active:
        raise AttemptRefused("Your enrollment in this course is not active.")
    if passed_attempt(enrollment) is None:
        raise AttemptRefused("The evaluation opens after you pass the post-test.")
    items = evaluation_items(enrollment.course)
    errors, rows = {}, []
    for item in items:
        raw = (data.get(f"item_{item.pk}") or "").strip()
        if item.kind == EvaluationItem.Kind.RATING:
            if raw not in {"1", "2", "3", "4", "5"}:
                if raw or item.required:
                    errors[item.pk] = RATING_ERROR
                continue
            rows.append(EvaluationAnswer(item=item, rating=int(raw)))
        else:
            if not raw and item.required:
                errors[item.pk] = "Please answer this question."
            elif raw:
                rows.append(EvaluationAnswer(item=item, text=raw[:5000]))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            response = EvaluationResponse.objects.create(enrollment=enrollment)
            for row in rows:
                row.response = response
            EvaluationAnswer.objects.bulk_create(rows)
    except IntegrityError:
        return EvaluationResponse.objects.get(enrollment=enrollment)
    return response
