from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_anonymise


class Command(BaseCommand):
    help = (
        "Erase a learner's personal data (email, name, license details, password) while "
        "their certificates, orders and roster entries stay verifiable. Irreversible."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="do it (without: show only)")

    def handle(self, *args, email: str, yes: bool, **options) -> None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with the email {email}.")
        if user.is_staff:
            raise CommandError(
                "Staff accounts are not anonymised; remove their staff status first."
            )
        certificates = user.enrollments.filter(certificates__isnull=False).distinct().count()
        self.stdout.write(
            f"{email}: {user.orders.count()} order(s), {certificates} certified course(s) "
            "stay on record."
        )
        if not yes:
            self.stdout.write("Nothing changed; run again with --yes to anonymise.")
            return
        user_anonymise(user=user)
        self.stdout.write(f"Anonymised user {user.pk}.")
