from decimal import Decimal

from django.core.validators import FileExtensionValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from .storage import private_storage


class Level(models.TextChoices):
    INTRODUCTORY = "introductory", "Introductory"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


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

    class Meta:
        ordering = ["name"]

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

    def for_detail_page(self) -> "CourseQuerySet":
        return self.with_instructors().prefetch_related(
            "objectives", Prefetch("programs", queryset=Program.objects.order_by("title"))
        )

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
    )
    credit_type = models.CharField(
        "credit type / approving body",
        max_length=200,
        default="CE credits for psychologists (APA)",
        help_text="What the credits count as and who approves them.",
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

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="objective_text_not_empty")
        ]

    def __str__(self) -> str:
        return self.text


class Program(models.Model):
    """A track that groups courses, e.g. a certificate of advanced study."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    courses = models.ManyToManyField(Course, related_name="programs", blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


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
    # Printed on every Certificate of Completion; approving bodies require exact wording.
    approval_statement = models.TextField(
        "sponsor approval statement",
        blank=True,
        help_text="Printed on certificates exactly as written, e.g. the APA sponsor statement.",
    )
    certificate_logo = models.ImageField(upload_to="public/certificates/", blank=True)
    certificate_signature = models.ImageField(upload_to="public/certificates/", blank=True)
    signatory_name = models.CharField(max_length=150, blank=True)
    signatory_title = models.CharField(max_length=150, blank=True, default="Director")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "program policies"
        verbose_name_plural = "program policies"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="policies_singleton")]

    def __str__(self) -> str:
        return "Program policies"

    @classmethod
    def current(cls) -> "ProgramPolicies | None":
        return cls.objects.filter(pk=1).first()


class Section(models.Model):
    """A part of the course manuscript, written by the director in Markdown."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField(
        help_text="Markdown: ## headings, lists, > quotes, tables and footnotes ([^1])."
    )

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="section_title_not_empty")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def body_html(self):
        from .markdown import render_markdown

        return render_markdown(self.body)


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
