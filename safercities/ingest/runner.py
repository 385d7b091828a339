"""Run one import all-or-nothing and record it as an :class:`ImportRun`.

Every importer follows the same contract: read and validate the *whole* file, adding every problem to
``ctx.report``; only when there is none, write. The runner wraps the importer in one transaction, so
a failure half-way through the write (a fault, a kill, a constraint) leaves the database exactly as it
was. A dry run performs the write and rolls it back, so its counts are the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from safercities.ingest.files import FileProblem, sha256_of
from safercities.ingest.models import MAX_STORED_ERRORS, ImportRun
from safercities.ingest.report import ImportRejected, ImportReport
from safercities.jobs.queue import enqueue_on_commit
from safercities.places.models import City


@dataclass
class ImportContext:
    city: City
    path: Path
    report: ImportReport
    run: ImportRun
    dry_run: bool = False
    options: dict[str, Any] = field(default_factory=dict)


class _RollBack(Exception):
    """Raised to undo a dry run's writes."""


Importer = Callable[[ImportContext], None]


def run_import(
    *,
    kind: str,
    city: City,
    path: Path | str,
    importer: Importer,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    options: dict[str, Any] | None = None,
    filename: str | None = None,
) -> ImportReport:
    """Validate and write ``path`` with ``importer``; return the report (never raises on bad input)."""
    path = Path(path)
    report = ImportReport(dry_run=dry_run)
    options = {key: value for key, value in (options or {}).items() if value is not None}
    run = ImportRun.objects.create(
        city=city,
        kind=kind,
        user=user if user is not None and user.is_authenticated else None,
        filename=(filename or path.name)[:255],
        file_sha256=sha256_of(path) if path.is_file() else "",
        file_size=path.stat().st_size if path.is_file() else 0,
        options={key: str(value) for key, value in options.items()},
    )
    report.import_run_id = run.pk
    ctx = ImportContext(city=city, path=path, report=report, run=run, dry_run=dry_run, options=options)
    status = ImportRun.FAILED
    try:
        if not path.is_file():
            raise FileProblem(f"no such file: {path}")
        with transaction.atomic():
            importer(ctx)
            if not report.ok:
                raise ImportRejected(report)
            if dry_run:
                raise _RollBack
            # Data changed: recompute the city's results in the background once this commits.
            # Queued duplicates merge, so ten imports in a row cause one recomputation.
            enqueue_on_commit("compute", city=city)
        status = ImportRun.OK
    except _RollBack:
        status = ImportRun.DRY_RUN
    except ImportRejected:
        status = ImportRun.REJECTED
    except FileProblem as exc:
        report.add_error(0, "file", str(exc))
        status = ImportRun.REJECTED
    finally:
        if not report.ok:
            # A rejected import wrote nothing, whatever the importer had counted so far.
            report.created = report.updated = report.unchanged = 0
        _finish(run, report, status)
    return report


def _finish(run: ImportRun, report: ImportReport, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.rows = report.rows
    run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
    run.unassigned = report.unassigned or 0
    run.error_count = report.error_count
    run.errors = [error.as_dict() for error in report.errors[:MAX_STORED_ERRORS]]
    run.message = report.summary()
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "rows",
            "created",
            "updated",
            "unchanged",
            "unassigned",
            "error_count",
            "errors",
            "message",
        ]
    )
