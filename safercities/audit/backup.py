"""Back up and restore the whole installation: every table as portable JSON, plus the uploaded files.

Why JSON and not ``pg_dump``: a JSON dump restores into SQLite or PostgreSQL alike (a pilot that
outgrows SQLite moves by backup and restore), and it needs no client tools on the machine. A backup
folder holds ``manifest.json`` (format, migrations, SHA-256 and size of each file, rows per model),
``db/<app>.<model>.json`` per model and ``media.tar`` (MEDIA_ROOT). Restore checks every checksum
before it touches anything, then loads everything in one transaction and checks the row counts.

Left out on purpose: content types and permissions (re-created by ``migrate``; references to them use
natural keys), sessions, and failed sign-ins (short-lived, and privacy says not to keep them).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_TAR = "media.tar"
EXCLUDED = {"contenttypes.contenttype", "auth.permission", "sessions.session", "accounts.loginfailure"}
# Rows that migrations create (reference data): present in a freshly migrated, still empty database.
SEEDED_BY_MIGRATIONS = {"indicators.dimension"}


class PreciseEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds (ECMA-262); a backup keeps the microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why in plain words."""


@dataclass
class RestoreResult:
    counts: dict[str, int] = field(default_factory=dict)
    media_files: int = 0


def backed_up_models() -> list[type[Model]]:
    """Every concrete, managed model except those in EXCLUDED, in dependency order.

    References by natural key (a user by username, a content type by app and model) are resolved while
    loading, so the referenced model must come first: ``sort_dependencies`` orders them so.
    """
    by_app: dict[Any, list[type[Model]]] = {}
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in EXCLUDED:
            by_app.setdefault(model._meta.app_config, []).append(model)
    app_list = [(config, sorted(models, key=lambda m: m._meta.label_lower)) for config, models in by_app.items()]
    return serializers.sort_dependencies(sorted(app_list, key=lambda item: item[0].label), allow_cycles=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _counting(rows: Iterator[Model], counter: list[int]) -> Iterator[Model]:
    for row in rows:
        counter[0] += 1
        yield row


def backup(output: Path, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write a backup into ``output`` (a new or empty folder); returns the manifest."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise BackupError(f"{output} is not empty: choose a new folder for the backup")
    (output / "db").mkdir(parents=True, exist_ok=True)
    os.chmod(output, 0o700)  # password hashes and personal data are inside
    counts: dict[str, int] = {}
    connection = connections[using]
    # One consistent snapshot of every table, even while the site is in use.
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for model in backed_up_models():
            label = model._meta.label_lower
            counter = [0]
            rows = _counting(model._base_manager.using(using).order_by("pk").iterator(chunk_size=2000), counter)
            with (output / "db" / f"{label}.json").open("w", encoding="utf-8") as handle:
                serializers.serialize("json", rows, stream=handle, use_natural_foreign_keys=True, cls=PreciseEncoder)
            counts[label] = counter[0]
        migrations = _applied_migrations(using)
    media_root = Path(settings.MEDIA_ROOT)
    media_files = 0
    with tarfile.open(output / MEDIA_TAR, "w") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
                    media_files += 1
    files = {
        str(path.relative_to(output)): {"sha256": _sha256(path), "bytes": path.stat().st_size}
        for path in sorted(output.rglob("*"))
        if path.is_file()
    }
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database_vendor": connection.vendor,
        "migrations": migrations,
        "counts": counts,
        "media_files": media_files,
        "files": files,
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    for path in output.rglob("*"):
        os.chmod(path, 0o600 if path.is_file() else 0o700)
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """Read the manifest and check every file against it; raise BackupError naming the first problem."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{source} is not a backup: {MANIFEST} is missing") from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"the backup's {MANIFEST} is damaged (not valid JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "files" not in manifest:
        raise BackupError(f"{MANIFEST} is not a backup manifest of format {FORMAT}")
    for name, expected in sorted(manifest["files"].items()):
        path = source / name
        if ".." in Path(name).parts or not path.is_file():
            raise BackupError(f"the backup is incomplete: {name} is missing")
        if path.stat().st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"the backup is damaged: {name} does not match its checksum in {MANIFEST}")
    expected_db = {f"db/{label}.json" for label in manifest["counts"]}
    if not expected_db <= set(manifest["files"]):
        raise BackupError(f"{MANIFEST} lists row counts for tables whose files it does not list")
    return manifest


def _user_rows(using: str) -> dict[str, int]:
    return {
        model._meta.label_lower: count
        for model in backed_up_models()
        if model._meta.label_lower not in SEEDED_BY_MIGRATIONS and (count := model._base_manager.using(using).count())
    }


def _wipe(using: str) -> None:
    """Empty every backed-up table (many-to-many tables too). Constraints are checked at commit."""
    for model in reversed(backed_up_models()):
        for m2m in model._meta.local_many_to_many:
            through: Any = m2m.remote_field.through
            through._base_manager.using(using).all()._raw_delete(using)
        model._base_manager.using(using).all()._raw_delete(using)


def restore(source: Path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Restore a verified backup into an empty database (or replace everything with ``force``)."""
    source = Path(source)
    manifest = verify(source)
    applied = _applied_migrations(using)
    missing = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if name not in applied.get(app, [])
    )
    if missing:
        raise BackupError(f"run `safercities migrate` first: the backup needs migrations {', '.join(missing[:5])}")
    unknown = sorted(set(manifest["counts"]) - {model._meta.label_lower for model in backed_up_models()})
    if unknown:
        raise BackupError(f"this installation has no tables for {', '.join(unknown)}")
    occupied = _user_rows(using)
    if occupied and not force:
        summary = ", ".join(f"{label} ({count})" for label, count in sorted(occupied.items())[:5])
        raise BackupError(f"the database is not empty: {summary}; restore into an empty one or pass --force")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir() and any(path.is_file() for path in media_root.rglob("*")) and not force:
        raise BackupError(f"the media folder {media_root} is not empty; empty it or pass --force")
    order = [model._meta.label_lower for model in backed_up_models()]
    fixtures = [str(source / "db" / f"{label}.json") for label in order if manifest["counts"].get(label)]
    result = RestoreResult()
    with transaction.atomic(using=using):
        _wipe(using)
        if fixtures:
            call_command("loaddata", *fixtures, database=using, verbosity=0)
        for model in backed_up_models():
            label = model._meta.label_lower
            found = model._base_manager.using(using).count()
            if found != manifest["counts"].get(label, 0):
                raise BackupError(f"{label}: {found} rows after loading, the manifest says {manifest['counts'][label]}")
            result.counts[label] = found
    # Files last: the database is the record, and it is in place now.
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA_TAR) as archive:
        members = [member for member in archive.getmembers() if member.isfile()]
        archive.extractall(media_root, members=members, filter="data")
        result.media_files = len(members)
    return result
