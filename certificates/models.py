from django.db import models
from django.db.models import Q
from django.urls import reverse

from courses.storage import private_storage
from enrollment.models import Enrollment

from . import codes


class Certificate(models.Model):
    """A Certificate of Completion: a snapshot, never edited in place.

    A correction reissues it (a new row with a new code; this one becomes REISSUED and
    points to it); a refund or the director revokes it with a date and a reason.
    """

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        REVOKED = "revoked", "Revoked"
        REISSUED = "reissued", "Reissued"

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="certificates"
    )
    code = models.CharField(max_length=16, unique=True, default=codes.new_code, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    # The snapshot printed on the certificate.
    holder_name = models.CharField(max_length=150)
    holder_credentials = models.CharField(max_length=100, blank=True)
    license_number = models.CharField(max_length=64, blank=True)
    license_jurisdiction = models.CharField(max_length=100, blank=True)
    course_title = models.CharField(max_length=200)
    ce_credits = models.DecimalField("CE credits", max_digits=4, decimal_places=1)
    credit_type = models.CharField(max_length=200)
    instructors = models.CharField(max_length=500)
    completed_on = models.DateField()
    delivery_format = models.CharField(max_length=100, default="Home study (self-paced, online)")
    sponsor_name = models.CharField(max_length=200)
    approval_statement = models.TextField(blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=500, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )
    pdf = models.FileField(upload_to="certificates/", storage=private_storage, blank=True)

    class Meta:
        ordering = ["-issued_at"]
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
            models.CheckConstraint(
                condition=~Q(status="reissued") | Q(replaced_by__isnull=False),
                name="reissued_certificate_has_replacement",
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
    def masked_license(self) -> str:
        number = self.license_number
        if not number:
            return ""
        return "•" * max(len(number) - 4, 0) + number[-4:]

    @property
    def pdf_filename(self) -> str:
        safe = "".join(c if c.isalnum() else "-" for c in self.holder_name).strip("-")
        return f"certificate-{safe}-{self.display_code}.pdf"


class LookupBucket(models.Model):
    """Verification lookups per client address and minute (the rate limit's counter)."""

    address = models.CharField(max_length=64)
    minute = models.BigIntegerField(help_text="Minutes since the epoch.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address", "minute"], name="one_bucket_per_minute")
        ]

    def __str__(self) -> str:
        return f"{self.address} @ {self.minute}: {self.hits}"
