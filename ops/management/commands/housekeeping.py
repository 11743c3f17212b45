from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "The nightly housekeeping, in order: expire abandoned orders, clear expired "
        "sessions, delete stored files no row references (deploy/ce-housekeeping.timer)."
    )

    def handle(self, *args, **options) -> None:
        for command in ("expire_pending_orders", "clearsessions", "delete_orphaned_files"):
            self.stdout.write(f"== {command}")
            call_command(command, stdout=self.stdout, stderr=self.stderr)
