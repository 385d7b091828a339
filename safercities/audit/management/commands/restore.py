"""``safercities restore DIR [--force]``: check a backup, then load it in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.audit.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `safercities backup` into an empty, migrated database. Every file is checked "
        "against the manifest first; a damaged backup is refused and nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="the backup folder (with manifest.json)")
        parser.add_argument(
            "--force", action="store_true", help="replace the data of a database that is not empty (and the media)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore(Path(options["source"]), force=options["force"])
        except BackupError as error:
            raise CommandError(f"{error}. Nothing was restored.") from None
        rows = sum(result.counts.values())
        self.stdout.write(f"Restored {rows} rows in {len(result.counts)} tables and {result.media_files} files")
