"""Programs: tracks of courses (a Certificate of Advanced Study) and their credentials.

A program lists its courses in order through ProgramCourse, each required or elective;
completing the required courses and `electives_required` electives (a valid Certificate
of Completion for each) earns a ProgramCredential, a frozen snapshot like a course
certificate, revoked automatically when a course it relies on is withdrawn.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from certificates import codes
from certificates.models import Certificate
from courses.models import Course
from courses.storage import private_storage
from records.models import StatusChange, StatusRecord


class Program(models.Model):
    """A track that groups courses, e.g. a certificate of advanced study."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    credential_name = models.CharField(
        max_length=200,
        default="Certificate of Advanced Study",
        help_text="What the credential earned by completing the program is called.",
    )
    recognition_statement = models.TextField(
        blank=True,
        help_text="The approval or recognition statement shown on the program page and "
        "printed on the credential, if the program has one.",
    )
    electives_required = models.PositiveSmallIntegerField(
        default=0, help_text="How many of the elective courses complete the program."
    )
    discount_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(90)],
        help_text="Taken off each course's price when a learner buys the program's remaining "
        "courses together (0 for none).",
    )
    is_published = models.BooleanField("published", default=True)
    courses = models.ManyToManyField(
        Course, through="ProgramCourse", related_name="programs", blank=True
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__lte=90), name="program_discount_at_most_90"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programs:detail", kwargs={"slug": self.slug})


class ProgramCourse(models.Model):
    """A course's place in a program: its position and whether it is required."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="program_memberships")
    position = models.PositiveSmallIntegerField(default=0)
    required = models.BooleanField(
        default=True, help_text="Required for the credential; otherwise an elective."
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "program course"
        constraints = [
            models.UniqueConstraint(fields=["program", "course"], name="course_once_per_program")
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.course}"


class CredentialStatus(models.TextChoices):
    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"


class CredentialPublicReason(models.TextChoices):
    """What the public verification page says about a revoked program credential."""

    COURSE_WITHDRAWN = (
        "course_withdrawn",
        "A course certificate it relies on was withdrawn, so the program is no longer complete",
    )
    ISSUED_IN_ERROR = "issued_in_error", "Issued in error"
    WITHDRAWN_BY_PROVIDER = "withdrawn_by_provider", "Withdrawn by the provider"


class ProgramCredential(StatusRecord):
    """A Certificate of Advanced Study: a snapshot, never edited in place.

    `facts` freezes the program and each course certificate it relies on (title, credits,
    code, completion date) at issue; `certificates` links the same certificates so that a
    withdrawn one finds the credentials it undoes.
    """

    Status = CredentialStatus
    PublicReason = CredentialPublicReason
    TRANSITIONS = {
        CredentialStatus.VALID: {CredentialStatus.REVOKED},
        CredentialStatus.REVOKED: set(),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="program_credentials"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="credentials")
    code = models.CharField(max_length=16, unique=True, default=codes.new_code, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    holder_name = models.CharField(max_length=150)
    holder_credentials = models.CharField(max_length=100, blank=True)
    license_line = models.CharField(max_length=200, blank=True)
    credential_name = models.CharField(max_length=200)
    program_title = models.CharField(max_length=200)
    recognition_statement = models.TextField(blank=True)
    sponsor_name = models.CharField(max_length=200)
    total_credits = models.DecimalField(max_digits=5, decimal_places=1)
    completed_on = models.DateField()
    facts = models.JSONField(default=dict, blank=True)
    certificates = models.ManyToManyField(Certificate, related_name="program_credentials")
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    public_reason = models.CharField(
        max_length=30, choices=PublicReason.choices, blank=True, default=""
    )
    internal_note = models.CharField(max_length=500, blank=True)
    # The sponsor's logo and signature when it was issued, as on a course certificate:
    # names of files in the public store, never overwritten, so every render is the same.
    logo = models.FileField(blank=True, editable=False)
    signature = models.FileField(blank=True, editable=False)
    pdf = models.FileField(upload_to="program-credentials/", storage=private_storage, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program"],
                condition=Q(status="valid"),
                name="one_valid_credential_per_program",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["valid", "revoked"]), name="credential_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="valid") | (Q(revoked_at__isnull=False) & ~Q(public_reason="")),
                name="revoked_credential_has_date_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_code} {self.holder_name}: {self.program_title}"

    def get_absolute_url(self) -> str:
        return reverse("programs:verify", kwargs={"code": self.display_code})

    @property
    def display_code(self) -> str:
        return codes.display(self.code)

    @property
    def holder_display(self) -> str:
        creds = f", {self.holder_credentials}" if self.holder_credentials else ""
        return f"{self.holder_name}{creds}"

    @property
    def pdf_filename(self) -> str:
        safe = "".join(c if c.isalnum() else "-" for c in self.holder_name).strip("-")
        return f"program-certificate-{safe}-{self.display_code}.pdf"


class ProgramCredentialStatusChange(StatusChange):
    credential = models.ForeignKey(
        ProgramCredential, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=CredentialStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CredentialStatus.choices)
    public_reason = models.CharField(
        max_length=30, choices=CredentialPublicReason.choices, blank=True
    )

    class Meta(StatusChange.Meta):
        pass


class ProgramPurchase(models.Model):
    """A learner buying a program's remaining courses in one checkout: one order per
    course (refunds stay per course), all paid by one Checkout Session, each at the
    course's price less the program's discount, recorded here and on each order."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="purchases")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="program_purchases"
    )
    discount_percent = models.PositiveSmallIntegerField(default=0)
    orders = models.ManyToManyField("enrollment.Order", related_name="program_purchases")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.program} for {self.user} ({self.created_at:%Y-%m-%d})"
