"""``safercities backup --output DIR``: the database as portable JSON plus the uploaded files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.audit.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (portable JSON, SQLite and PostgreSQL alike) and MEDIA_ROOT into a new folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="a new or empty folder to write the backup into")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(Path(options["output"]))
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"Backed up {rows} rows in {len(manifest['counts'])} tables and {manifest['media_files']} files "
            f"to {options['output']}"
        )
