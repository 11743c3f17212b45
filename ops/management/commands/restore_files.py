from pathlib import Path

from django.core.management.base import BaseCommand

from ops.backups import files_restore


class Command(BaseCommand):
    help = "Put the files of a backup (DIR/files) into this site's storages."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options) -> None:
        self.stdout.write(f"{files_restore(source=directory)} file(s) restored")
