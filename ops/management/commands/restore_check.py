from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backups import restore_check


class Command(BaseCommand):
    help = (
        "Compare this (restored) site with a backup's manifest: record counts, every "
        "referenced file and its bytes, certificate PDFs. Fails when anything is missing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options) -> None:
        problems = restore_check(source=directory)
        if problems:
            raise CommandError("restore incomplete:\n  " + "\n  ".join(problems))
        self.stdout.write("restore complete: every record and file is there")
