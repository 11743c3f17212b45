from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.choices import NO_LICENSE_TEXT, Profession
from courses.models import ProviderApproval
from courses.storage import private_storage
from enrollment.models import Enrollment
from records.models import StatusChange, StatusRecord

from . import codes


class CertificateStatus(models.TextChoices):
    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"
    REISSUED = "reissued", "Reissued"


class PublicReason(models.TextChoices):
    """What the public verification page says about a revocation: never order numbers,
    refund details or the director's own note."""

    WITHDRAWN_BY_PROVIDER = "withdrawn_by_provider", "Withdrawn by the provider"
    ISSUED_IN_ERROR = "issued_in_error", "Issued in error"
    REQUIREMENTS_NOT_MET = "requirements_not_met", "Course requirements not met"
    WITHDRAWN_AT_REQUEST = "withdrawn_at_request", "Withdrawn at the participant's request"


# The unit printed when no approval of the course covers the holder's profession: the
# certificate then records attendance, in hours, and says it carries no approved credit.
UNAPPROVED_UNIT = "hours of instruction"


class CertificateQuerySet(models.QuerySet):
    def for_verification(self) -> "CertificateQuerySet":
        return self.select_related("replaced_by")


class Certificate(StatusRecord):
    """A Certificate of Completion: a snapshot, never edited in place.

    `course_facts` freezes, at completion, the course as it stood (title, instructors,
    sponsor and every approval's credit line and statement); the printed fields are the
    holder's details plus the line their profession earns from those frozen facts. A
    correction reissues it (a new row with a new code, the same course facts; this one
    becomes REISSUED and points to it); a refund or the director revokes it with a date,
    a public reason and an internal note, and the director can reinstate it.
    """

    Status = CertificateStatus
    PublicReason = PublicReason
    # A replaced certificate stays replaced; a revoked one can be reinstated.
    TRANSITIONS = {
        CertificateStatus.VALID: {CertificateStatus.REVOKED, CertificateStatus.REISSUED},
        CertificateStatus.REVOKED: {CertificateStatus.VALID},
        CertificateStatus.REISSUED: set(),
    }

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="certificates"
    )
    code = models.CharField(max_length=16, unique=True, default=codes.new_code, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    # The holder, as the learner confirmed it (or the director corrected it).
    holder_name = models.CharField(max_length=150)
    holder_credentials = models.CharField(max_length=100, blank=True)
    holder_profession = models.CharField(
        max_length=32, choices=Profession.choices, blank=True, default=""
    )
    license_number = models.CharField(max_length=64, blank=True)
    license_jurisdiction = models.CharField(
        max_length=100, blank=True, help_text="The jurisdiction's name, as printed."
    )
    license_jurisdiction_code = models.CharField(max_length=2, blank=True, default="")
    no_license = models.BooleanField(
        default=False, help_text="The holder stated that they hold no license."
    )
    holder_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner confirmed these details."
    )
    # The course, frozen at completion, and the credit line printed from it.
    course_facts = models.JSONField(default=dict, blank=True)
    course_title = models.CharField(max_length=200)
    ce_credits = models.DecimalField("CE credits", max_digits=4, decimal_places=1)
    credit_type = models.CharField(max_length=200)
    approving_body = models.CharField(max_length=200, blank=True, default="")
    provider_number = models.CharField(max_length=60, blank=True, default="")
    course_number = models.CharField(max_length=60, blank=True, default="")
    approval = models.ForeignKey(
        ProviderApproval,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        help_text="The approval whose credit line and statement are printed.",
    )
    instructors = models.CharField(max_length=500)
    completed_on = models.DateField()
    delivery_format = models.CharField(max_length=100, default="Home study (self-paced, online)")
    sponsor_name = models.CharField(max_length=200)
    approval_statement = models.TextField(blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was revoked or replaced."
    )
    public_reason = models.CharField(
        max_length=30, choices=PublicReason.choices, blank=True, default=""
    )
    internal_note = models.CharField(
        max_length=500, blank=True, help_text="The director's own note; never shown publicly."
    )
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )
    # The sponsor's logo and signature when it was issued: names of files in the public
    # store, which are never overwritten, so every render shows the same images.
    logo = models.FileField(blank=True, editable=False)
    signature = models.FileField(blank=True, editable=False)
    # Rendered once by the worker at issue, then only served (services.certificate_pdf_store).
    pdf = models.FileField(upload_to="certificates/", storage=private_storage, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        permissions = [
            ("export_roster", "Can export completion rosters"),
            ("download_any_certificate", "Can download any learner's certificate PDF"),
            ("correct_certificate", "Can correct holder details and reissue"),
            ("revoke_certificate", "Can revoke certificates"),
            ("reinstate_certificate", "Can reinstate revoked certificates"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(status="valid"),
                name="one_valid_certificate_per_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["valid", "revoked", "reissued"]),
                name="certificate_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                name="revoked_certificate_has_date",
            ),
            # A reissue moves the old certificate aside before its successor exists (one
            # valid certificate per enrollment), so "reissued has a replacement" holds at
            # commit, within one transaction, rather than as a row check.
            models.CheckConstraint(
                condition=~Q(status="revoked") | ~Q(public_reason=""),
                name="revoked_certificate_has_public_reason",
            ),
            models.CheckConstraint(
                condition=Q(public_reason__in=["", *PublicReason.values]),
                name="certificate_public_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_code} {self.holder_name}: {self.course_title}"

    def get_absolute_url(self) -> str:
        return reverse("certificates:verify", kwargs={"code": self.display_code})

    @property
    def display_code(self) -> str:
        return codes.display(self.code)

    @property
    def holder_display(self) -> str:
        creds = f", {self.holder_credentials}" if self.holder_credentials else ""
        return f"{self.holder_name}{creds}"

    @property
    def license_display(self) -> str:
        """The license line as printed: number and jurisdiction, or the no-license text."""
        if self.no_license:
            return NO_LICENSE_TEXT
        if not self.license_number:
            return ""
        where = f", {self.license_jurisdiction}" if self.license_jurisdiction else ""
        return f"License {self.license_number}{where}"

    @property
    def has_approved_credit(self) -> bool:
        return self.credit_type != UNAPPROVED_UNIT

    @property
    def credit_line(self) -> str:
        """ "8 CE credits (APA)" or "8 hours of instruction"."""
        amount = f"{self.ce_credits:f}"
        amount = amount.rstrip("0").rstrip(".") if "." in amount else amount
        body = f" ({self.approving_body})" if self.approving_body else ""
        return f"{amount} {self.credit_type}{body}"

    @property
    def masked_license(self) -> str:
        number = self.license_number
        if not number:
            return ""
        return "•" * max(len(number) - 4, 0) + number[-4:]

    @property
    def pdf_filename(self) -> str:
        safe = "".join(c if c.isalnum() else "-" for c in self.holder_name).strip("-")
        return f"certificate-{safe}-{self.display_code}.pdf"


class CertificateStatusChange(StatusChange):
    """History of a certificate's status: issued, revoked, reinstated, reissued; who and
    why (the internal note) and the public reason the verification page showed."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=CertificateStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CertificateStatus.choices)
    public_reason = models.CharField(max_length=30, choices=PublicReason.choices, blank=True)

    class Meta(StatusChange.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.certificate.display_code}: {super().__str__()}"
