from pathlib import Path

from django.core.management.base import BaseCommand

from ops.backups import files_backup


class Command(BaseCommand):
    help = "Copy every stored file that rows reference into DIR/files, with DIR/manifest.json."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options) -> None:
        manifest = files_backup(target=directory)
        self.stdout.write(f"{len(manifest['files'])} file(s) copied; records: {manifest['counts']}")
        for missing in manifest["missing"]:
            self.stderr.write(f"referenced but missing: {missing}")
