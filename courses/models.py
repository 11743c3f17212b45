from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django_cleanup import cleanup
from simple_history.models import HistoricalRecords

from accounts.choices import PROFESSION_PLURALS, Jurisdiction, Profession

from .storage import private_storage


class Level(models.TextChoices):
    INTRODUCTORY = "introductory", "Introductory"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


# Instructors' CVs and disclosures: documents, not course media; 10 MB is plenty.
DOCUMENT_EXTENSIONS = ["pdf", "doc", "docx", "odt", "rtf", "txt"]
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def validate_document_size(file) -> None:
    if file.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(
            f"The file is {file.size / 1024 / 1024:.1f} MB; documents can be at most "
            f"{DOCUMENT_MAX_BYTES // 1024 // 1024} MB."
        )


def _document_field(verbose_name: str, folder: str, help_text: str) -> models.FileField:
    return models.FileField(
        verbose_name,
        upload_to=f"instructors/{folder}/",
        storage=private_storage,
        blank=True,
        validators=[FileExtensionValidator(DOCUMENT_EXTENSIONS), validate_document_size],
        help_text=help_text,
    )


class Instructor(models.Model):
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=160, unique=True)
    credentials = models.CharField(
        max_length=100, blank=True, help_text="Degrees and licenses, e.g. PhD."
    )
    headline = models.CharField(
        max_length=200,
        blank=True,
        help_text="One line shown under the name, e.g. Psychologist and psychoanalyst.",
    )
    bio = models.TextField(help_text="Blank lines separate paragraphs.")
    photo = models.ImageField(upload_to="public/instructors/", blank=True)
    # What approving bodies audit (APA Standard D, ASWB ACE, NBCC): the instructor's
    # qualifications and a dated disclosure of relevant relationships. Private files,
    # never linked from a public page; staff download them in admin.
    cv = _document_field(
        "CV", "cv", "Curriculum vitae (PDF or Word, up to 10 MB). Private: staff only."
    )
    conflict_disclosure = models.TextField(
        "conflict-of-interest disclosure",
        blank=True,
        help_text="The instructor's statement of financial or other relationships relevant "
        "to the content, or that there are none.",
    )
    conflict_disclosure_file = _document_field(
        "signed disclosure form",
        "disclosures",
        "The signed form, if there is one (PDF or Word, up to 10 MB). Private: staff only.",
    )
    conflict_disclosed_on = models.DateField(
        "disclosure date",
        null=True,
        blank=True,
        help_text="When the instructor made or signed the disclosure. Renew it at least yearly.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(conflict_disclosure="") & Q(conflict_disclosure_file=""))
                | Q(conflict_disclosed_on__isnull=False),
                name="instructor_disclosure_has_date",
                violation_error_message="Give the date of the conflict-of-interest disclosure.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("courses:instructor", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class CourseQuerySet(models.QuerySet):
    def published(self) -> "CourseQuerySet":
        return self.filter(status=Course.Status.PUBLISHED)

    def visible_to(self, user) -> "CourseQuerySet":
        """Staff preview drafts; everyone else sees published courses only."""
        if getattr(user, "is_staff", False):
            return self.all()
        return self.published()

    def with_instructors(self) -> "CourseQuerySet":
        return self.prefetch_related(
            Prefetch(
                "course_instructors",
                queryset=CourseInstructor.objects.select_related("instructor").order_by(
                    "order", "pk"
                ),
            )
        )

    def with_approvals(self) -> "CourseQuerySet":
        return self.prefetch_related(
            Prefetch(
                "course_approvals",
                queryset=CourseApproval.objects.select_related("approval__body").order_by(
                    "order", "pk"
                ),
            )
        )

    def for_detail_page(self) -> "CourseQuerySet":
        return self.with_instructors().with_approvals().prefetch_related("objectives")

    def search(self, text: str) -> "CourseQuerySet":
        """Each word must be in the title, summary, an objective or an instructor's name."""
        qs = self
        for word in text.split()[:10]:
            in_objectives = LearningObjective.objects.filter(
                course=OuterRef("pk"), text__icontains=word
            )
            by_instructor = CourseInstructor.objects.filter(
                course=OuterRef("pk"), instructor__name__icontains=word
            )
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(summary__icontains=word)
                | Exists(in_objectives)
                | Exists(by_instructor)
            )
        return qs


class Course(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    summary = models.CharField(
        max_length=300,
        help_text="One or two sentences for the catalog card and for search engines.",
    )
    description = models.TextField("long description", help_text="Blank lines separate paragraphs.")
    image = models.ImageField(upload_to="public/courses/", blank=True)
    image_alt = models.CharField(
        "image description", max_length=200, blank=True, help_text="Alt text for the image."
    )
    price_cents = models.PositiveIntegerField(
        "price (cents)", help_text="In cents: 11900 is $119.00. 0 makes the course free."
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO code, e.g. USD.")],
    )
    ce_credits = models.DecimalField(
        "CE credits",
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text="The course's length in credit hours, for the catalog. Each approval "
        "below states the credits or hours it grants.",
    )
    level = models.CharField(max_length=16, choices=Level.choices)
    target_audience = models.TextField()
    format_summary = models.TextField(
        help_text="What the course consists of: manuscript, audio, video, test, certificate."
    )
    schedule = models.TextField(
        "schedule and availability",
        default="Available 24 hours a day, 7 days a week; study at your own pace.",
    )
    conflict_of_interest = models.TextField(
        "conflicts of interest and commercial support",
        default="There is no commercial support or other potential conflict of interest "
        "for this program, its presentation or its instructor.",
    )
    instructors = models.ManyToManyField(
        Instructor, through="CourseInstructor", related_name="courses"
    )
    require_all_sections = models.BooleanField(
        "require every section before the post-test",
        default=True,
        help_text="The post-test opens only after the learner completes every section.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Every version of the course page, its objectives, manuscript, instructors and the
    # program policies is kept (django-simple-history): what a learner saw on any date.
    history = HistoricalRecords()

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="course_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(level__in=["introductory", "intermediate", "advanced"]),
                name="course_level_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="course_published_has_date",
            ),
            models.CheckConstraint(condition=Q(ce_credits__gt=0), name="course_credits_positive"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="course_currency_iso"
            ),
        ]
        indexes = [models.Index(fields=["status", "title"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    def publish(self) -> None:
        self.status = self.Status.PUBLISHED
        self.published_at = self.published_at or timezone.now()

    def unpublish(self) -> None:
        self.status = self.Status.DRAFT


class CourseInstructor(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="course_instructors")
    instructor = models.ForeignKey(
        Instructor, on_delete=models.PROTECT, related_name="course_links"
    )
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "course instructor"
        constraints = [
            models.UniqueConstraint(fields=["course", "instructor"], name="courseinstructor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.instructor} — {self.course}"


class LearningObjective(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="objectives")
    text = models.CharField(max_length=500)
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="objective_text_not_empty")
        ]

    def __str__(self) -> str:
        return self.text


class ProgramPolicies(models.Model):
    """The site-wide policies every course page shows. One row, edited by the director."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    sponsor_name = models.CharField(max_length=200, default="Clinician CE Institute")
    director_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    diversity_accessibility = models.TextField("commitment to diversity and accessibility")
    sources_relevance = models.TextField("sources and relevance")
    refund_cancellation = models.TextField("cost and refund / cancellation policy")
    grievance = models.TextField("grievance procedure")
    certificate_logo = models.ImageField(upload_to="public/certificates/", blank=True)
    certificate_signature = models.ImageField(upload_to="public/certificates/", blank=True)
    signatory_name = models.CharField(max_length=150, blank=True)
    signatory_title = models.CharField(max_length=150, blank=True, default="Director")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "program policies"
        verbose_name_plural = "program policies"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="policies_singleton")]

    def __str__(self) -> str:
        return "Program policies"

    @classmethod
    def current(cls) -> "ProgramPolicies | None":
        return cls.objects.filter(pk=1).first()


class CreditUnit(models.TextChoices):
    """What an approving body calls its units: certificates print it as the body says."""

    CE_CREDITS = "CE credits", "CE credits"
    CE_HOURS = "CE hours", "CE hours"
    CONTACT_HOURS = "contact hours", "contact hours"
    CLOCK_HOURS = "clock hours", "clock hours"


class ApprovingBody(models.Model):
    """An organisation that approves CE providers: APA, ASWB ACE, NBCC, a state board."""

    name = models.CharField(max_length=200, unique=True)
    abbreviation = models.CharField(max_length=40, help_text="As printed, e.g. APA, ASWB ACE.")
    credit_unit = models.CharField(
        "unit of credit",
        max_length=20,
        choices=CreditUnit.choices,
        default=CreditUnit.CE_CREDITS,
        help_text="What this body calls its credits; certificates print it.",
    )
    website = models.URLField(blank=True)
    reports_to_cebroker = models.BooleanField(
        "completions are reported to CE Broker",
        default=False,
        help_text="Its licensees' completions go into the roster's CE Broker upload file.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["abbreviation"]
        verbose_name_plural = "approving bodies"
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_unit__in=CreditUnit.values), name="body_credit_unit_valid"
            )
        ]

    def __str__(self) -> str:
        return self.abbreviation


class CEBrokerProfessionCode(models.Model):
    """CE Broker's code for one of our professions, as this body's board registers it."""

    body = models.ForeignKey(
        ApprovingBody, on_delete=models.CASCADE, related_name="cebroker_profession_codes"
    )
    profession = models.CharField(max_length=32, choices=Profession.choices)
    code = models.CharField(
        max_length=20, help_text="From CE Broker's list of profession codes, e.g. MHC."
    )

    class Meta:
        verbose_name = "CE Broker profession code"
        constraints = [
            models.UniqueConstraint(
                fields=["body", "profession"], name="one_cebroker_code_per_profession"
            )
        ]

    def __str__(self) -> str:
        return f"{self.body}: {self.get_profession_display()} = {self.code}"


def _check_codes(values, allowed, what: str) -> None:
    if not isinstance(values, list) or any(v not in allowed for v in values):
        raise ValidationError(f"Unknown {what}: choose from the list.")


class ProviderApproval(models.Model):
    """Our approval by one body: the number it gave us, the statement it requires us to
    print, for how long, and which professions (and, for a state board, which
    jurisdictions) it covers."""

    body = models.ForeignKey(ApprovingBody, on_delete=models.PROTECT, related_name="approvals")
    provider_number = models.CharField(
        max_length=60, blank=True, help_text="The number the body gave us, if any."
    )
    statement = models.TextField(
        "approval statement",
        help_text="Printed on certificates and the course page exactly as the body requires.",
    )
    valid_from = models.DateField(default=date.today)
    valid_until = models.DateField(
        null=True, blank=True, help_text="Empty while the approval has no end date."
    )
    professions = models.JSONField(
        default=list, help_text="The professions whose licensees this approval serves."
    )
    jurisdictions = models.JSONField(
        default=list,
        blank=True,
        help_text="Only for a state or provincial board: where it applies. Empty: everywhere.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["body__abbreviation", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="approval_period_in_order",
            )
        ]

    def __str__(self) -> str:
        number = f" {self.provider_number}" if self.provider_number else ""
        return f"{self.body.abbreviation}{number}"

    def clean(self) -> None:
        _check_codes(self.professions, Profession.values, "profession")
        _check_codes(self.jurisdictions, Jurisdiction.values, "jurisdiction")
        if not self.professions:
            raise ValidationError({"professions": "Choose the professions it covers."})

    def is_current_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    @property
    def professions_display(self) -> str:
        return ", ".join(PROFESSION_PLURALS.get(p, p) for p in self.professions)

    @property
    def jurisdictions_display(self) -> str:
        return ", ".join(Jurisdiction(j).label for j in self.jurisdictions if j in Jurisdiction)


class CourseApproval(models.Model):
    """A course carries an approval: the credits it grants and the body's course number."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="course_approvals")
    approval = models.ForeignKey(
        ProviderApproval, on_delete=models.PROTECT, related_name="course_approvals"
    )
    credits = models.DecimalField(
        "credits or hours",
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    credit_unit = models.CharField(
        "unit",
        max_length=20,
        choices=CreditUnit.choices,
        blank=True,
        help_text="Empty: the body's own unit.",
    )
    course_number = models.CharField(
        max_length=60,
        blank=True,
        help_text="The body's number for this course (CE Broker's course tracking number).",
    )
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "course approval"
        constraints = [
            models.UniqueConstraint(fields=["course", "approval"], name="course_approval_unique"),
            models.CheckConstraint(condition=Q(credits__gt=0), name="course_approval_credits_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.credits} {self.unit} ({self.approval.body.abbreviation})"

    @property
    def unit(self) -> str:
        return self.credit_unit or self.approval.body.credit_unit


class Section(models.Model):
    """A part of the course manuscript, written by the director in Markdown."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField(
        help_text="Markdown: ## headings, lists, > quotes, tables and footnotes ([^1])."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="section_title_not_empty")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def body_html(self):
        # Rendered once when the course structure is cached (courses/structure.py).
        if "_body_html" in self.__dict__:
            return self.__dict__["_body_html"]
        from .markdown import render_markdown

        return render_markdown(self.body)


@cleanup.select  # a replaced or deleted recording leaves storage (django-cleanup)
class AudioTrack(models.Model):
    """An audio file of the course, with the transcript WCAG 1.2.1 asks for."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="audio_tracks")
    section = models.ForeignKey(
        Section,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audio_tracks",
        help_text="The manuscript section this recording goes with, if any.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    file = models.FileField(
        upload_to="audio/",
        storage=private_storage,
        validators=[FileExtensionValidator(["mp3", "m4a", "ogg", "oga", "opus", "wav"])],
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True, editable=False)
    transcript = models.TextField(
        blank=True, help_text="Required before the course can be published."
    )

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title


@cleanup.select  # the same for the video, its poster and its captions
class Video(models.Model):
    """A video of the course (the instructor's intro), with captions (WCAG 1.2.2)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="videos")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    file = models.FileField(
        upload_to="video/",
        storage=private_storage,
        validators=[FileExtensionValidator(["mp4", "webm", "m4v"])],
    )
    poster = models.ImageField(upload_to="video/posters/", storage=private_storage, blank=True)
    captions = models.FileField(
        upload_to="video/captions/",
        storage=private_storage,
        blank=True,
        validators=[FileExtensionValidator(["vtt"])],
        help_text="WebVTT captions. Required before the course can be published.",
    )
    captions_language = models.CharField(max_length=12, default="en")
    transcript = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title
