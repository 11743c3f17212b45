from django.db import models
from django.db.models import Q

from certificates.models import Certificate


class SignedDocument(models.Model):
    """A PDF as we signed and stored it, a course certificate's or a program credential's
    (exactly one of the two): its SHA-256 fingerprint (shown on the verification page,
    matched by the document check) and who signed it."""

    certificate = models.OneToOneField(
        Certificate,
        on_delete=models.PROTECT,
        related_name="signed_document",
        null=True,
        blank=True,
    )
    program_credential = models.OneToOneField(
        "programs.ProgramCredential",
        on_delete=models.PROTECT,
        related_name="signed_document",
        null=True,
        blank=True,
    )
    sha256 = models.CharField(max_length=64, unique=True)
    signer = models.CharField(max_length=300, help_text="The signing certificate's subject.")
    signer_cert_sha256 = models.CharField(max_length=64)
    self_signed_demo = models.BooleanField(default=False)
    # A certificate issued before PDFs were signed: its stored PDF was signed later
    # (manage.py sign_certificate_pdfs), and copies downloaded before then still match.
    unsigned_sha256 = models.CharField(
        max_length=64, blank=True, db_index=True,
        help_text="The fingerprint of the unsigned PDF served before it was signed.",
    )  # fmt: skip
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "signed PDF"
        constraints = [
            models.CheckConstraint(
                condition=Q(certificate__isnull=False, program_credential__isnull=True)
                | Q(certificate__isnull=True, program_credential__isnull=False),
                name="signed_document_of_one_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.document.display_code}: {self.sha256}"

    @property
    def document(self):
        """The course certificate or program credential this PDF is."""
        return self.certificate or self.program_credential


class StatusListEntry(models.Model):
    """The certificate's bit in the revocation status list (its credential's
    `statusListIndex`): drawn at random when it is issued, so an index says nothing about
    when or in what order certificates were issued (W3C Bitstring Status List §6)."""

    certificate = models.OneToOneField(
        Certificate, on_delete=models.PROTECT, related_name="status_entry"
    )
    index = models.PositiveIntegerField(unique=True)

    class Meta:
        verbose_name = "status list entry"
        verbose_name_plural = "status list entries"

    def __str__(self) -> str:
        return f"{self.certificate_id}: bit {self.index}"
