from django.core.management.base import BaseCommand

from certificates.models import Certificate
from credentials.signing import certificate_pdf_sign_stored


class Command(BaseCommand):
    help = (
        "Sign the stored PDFs of certificates issued before PDFs were signed (one worker "
        "task per certificate). Safe to run again: a signed certificate is left alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="sign here, one by one, instead of in the worker"
        )
        parser.add_argument("--dry-run", action="store_true", help="count them, change nothing")

    def handle(self, *args, now: bool, dry_run: bool, **options) -> None:
        unsigned = list(
            Certificate.objects.exclude(pdf="")
            .filter(signed_document__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if dry_run:
            self.stdout.write(f"{len(unsigned)} stored certificate PDF(s) are not signed")
            return
        for certificate_id in unsigned:
            if now:
                certificate_pdf_sign_stored.call(certificate_id=certificate_id)
            else:
                certificate_pdf_sign_stored.enqueue(certificate_id=certificate_id)
        verb = "signed" if now else "queued for signing"
        self.stdout.write(f"{len(unsigned)} stored certificate PDF(s) {verb}")
