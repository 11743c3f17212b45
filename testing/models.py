"""The post-test (question bank, rules, attempts, answers) and the course evaluation."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from courses.models import Course, LearningObjective
from enrollment.models import Enrollment
from records.models import StatusChange, StatusRecord


class QuestionQuerySet(models.QuerySet):
    def active(self) -> "QuestionQuerySet":
        return self.filter(retired_at__isnull=True)


class Question(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    explanation = models.TextField(blank=True, help_text="Shown only where settings allow.")
    objective = models.ForeignKey(
        LearningObjective,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        help_text="The learning objective this question tests.",
    )
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="Retired questions are no longer drawn; history stays."
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["course", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="question_text_not_empty")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_correct=True),
                name="one_correct_choice_per_question",
            )
        ]

    def __str__(self) -> str:
        return self.text


class TestRules(models.Model):
    """How a course's post-test runs. The defaults follow APA's recommendations."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="test_rules")
    passing_score = models.PositiveSmallIntegerField(
        "passing score (%)",
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    max_attempts = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty: unlimited."
    )
    wait_minutes = models.PositiveIntegerField("wait between attempts (minutes)", default=0)
    questions_per_attempt = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty: every active question.",
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_choices = models.BooleanField(default=True)
    time_limit_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty: no limit."
    )
    show_missed_questions = models.BooleanField(
        default=False,
        help_text="After a failed attempt, list the questions missed (never the answers).",
    )

    class Meta:
        verbose_name = "test rules"
        verbose_name_plural = "test rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(passing_score__gte=1, passing_score__lte=100),
                name="passing_score_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=(Q(max_attempts__isnull=True) | Q(max_attempts__gte=1))
                & (Q(questions_per_attempt__isnull=True) | Q(questions_per_attempt__gte=1))
                & (Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gte=1)),
                name="test_rule_limits_are_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Rules for {self.course}"


class TimeAccommodation(models.Model):
    """Extra time on the post-test granted to one learner (an accommodation)."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.CASCADE, related_name="time_accommodation"
    )
    extra_minutes = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"+{self.extra_minutes} min for {self.enrollment}"


class AttemptStatus(models.TextChoices):
    OPEN = "open", "In progress"
    SUBMITTED = "submitted", "Submitted"
    VOIDED = "voided", "Voided by the Director"


class Attempt(StatusRecord):
    """One sitting of the post-test. Graded once; the Director may void an attempt that
    was not passed (a technical failure, a wrong question), with a reason: a voided
    attempt keeps its answers but no longer counts toward the attempts allowed."""

    Status = AttemptStatus
    TRANSITIONS = {
        AttemptStatus.OPEN: {AttemptStatus.SUBMITTED, AttemptStatus.VOIDED},
        AttemptStatus.SUBMITTED: {AttemptStatus.VOIDED},
        AttemptStatus.VOIDED: set(),
    }

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Drawn once at the start: question ids in display order, and for each question its
    # choice ids in display order. The page names choices by position, never by id.
    question_ids = models.JSONField()
    choice_ids = models.JSONField()
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True)
    timed_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["enrollment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "number"], name="attempt_number_unique"),
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(status="open"),
                name="one_open_attempt_per_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "voided"])
                | (Q(submitted_at__isnull=False) & Q(passed__isnull=False)),
                name="submitted_attempt_is_graded",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttemptStatus.values), name="attempt_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="voided", passed=True),
                name="passed_attempt_is_never_voided",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} by {self.enrollment}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_voided(self) -> bool:
        return self.status == self.Status.VOIDED

    @property
    def score_display(self) -> str:
        return f"{(self.score or Decimal(0)).normalize():f}%"


class AttemptStatusChange(StatusChange):
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=AttemptStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AttemptStatus.choices)

    class Meta(StatusChange.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.attempt}: {super().__str__()}"


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice = models.ForeignKey(
        Choice, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    is_correct = models.BooleanField(null=True)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.question_id} -> {self.choice_id}"


# The labels learners choose from, best first; stored as 5..1.
RATING_SCALE = [
    (5, "Strongly agree"),
    (4, "Agree"),
    (3, "Neutral"),
    (2, "Disagree"),
    (1, "Strongly disagree"),
]


class EvaluationItem(models.Model):
    """A question of the course evaluation. No course: asked on every course."""

    class Kind(models.TextChoices):
        RATING = "rating", "Rating from 1 (strongly disagree) to 5 (strongly agree)"
        TEXT = "text", "Free text"

    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evaluation_items",
        help_text="Leave empty to ask this on every course.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RATING)
    required = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.prompt


class EvaluationResponse(models.Model):
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="evaluation"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("export_evaluations", "Can export evaluation responses")]

    def __str__(self) -> str:
        return f"Evaluation by {self.enrollment}"


class EvaluationAnswer(models.Model):
    response = models.ForeignKey(
        EvaluationResponse, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey(EvaluationItem, on_delete=models.PROTECT, related_name="answers")
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="one_answer_per_item"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="rating_one_to_five",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.rating or self.text[:40]}"
