from datetime import timedelta

from django.core.management.base import BaseCommand

from ops.files import orphaned_files_delete


class Command(BaseCommand):
    help = "Delete stored files that no row references, once older than the grace period."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--grace-days", type=int, default=7)
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")

    def handle(self, *args, grace_days: int, dry_run: bool, **options) -> None:
        names = orphaned_files_delete(grace=timedelta(days=grace_days), dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {len(names)} file(s)")
        for name in names:
            self.stdout.write(f"  {name}")
