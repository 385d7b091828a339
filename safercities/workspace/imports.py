"""The import wizard's verbs: store an upload, check it (dry run), confirm it (real import).

Small files are checked and imported inside the request; files above ``IMPORT_BACKGROUND_BYTES`` go
through the job queue (task kind ``import``), and the browser watches a progress page. A queued step
carries the requester's language, so its row messages read as they would have in the request. Either way the
importers are the ones the command line uses, so the web and ``safercities import`` accept and
reject exactly the same files.
"""

from __future__ import annotations

import errno
import logging
import secrets
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone, translation

from safercities.ingest.models import ImportRun
from safercities.ingest.report import ImportReport
from safercities.jobs import queue
from safercities.jobs.models import Job
from safercities.places.models import City
from safercities.workspace.models import ImportUpload

logger = logging.getLogger(__name__)

# kind -> "module:function", the same importers as the `import` command.
IMPORTERS = {
    "areas": "safercities.places.importers:import_areas",
    "population": "safercities.places.importers:import_population",
    "indicators": "safercities.indicators.importers:import_indicators",
    "observations": "safercities.indicators.importers:import_observations",
    "incidents": "safercities.incidents.importers:import_incidents",
}
# Extensions the importers read; the stored file keeps its extension because readers sniff by it too.
EXTENSIONS = {".csv", ".tsv", ".txt", ".xlsx", ".geojson", ".json", ".zip", ".gpkg"}
# Hard ceiling on one upload (bytes); Django streams uploads to disk, so this bounds disk, not memory.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES))


def background_bytes() -> int:
    return int(getattr(settings, "IMPORT_BACKGROUND_BYTES", 5 * 1024 * 1024))


def upload_dir(city: City) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / city.slug


def upload_path(upload: ImportUpload) -> Path:
    return upload_dir(upload.city) / upload.stored_name


def _importer(kind: str) -> Callable[..., ImportReport]:
    module, function = IMPORTERS[kind].split(":")
    return getattr(import_module(module), function)


class UploadStorageError(OSError):
    """The upload could not be stored (disk full, quota, read-only disk); nothing was kept."""

    @property
    def disk_full(self) -> bool:
        return self.errno in {errno.ENOSPC, errno.EDQUOT}


def save_upload_file(file: UploadedFile, path: Path) -> None:
    """Write an upload to ``path`` (a new file), or leave nothing behind and say why.

    A full disk is the common case (``ENOSPC``, or ``EDQUOT`` on a quota): the half-written file is
    removed and the caller gets :class:`UploadStorageError` with a sentence for the user, never a 500.
    Written for the API import endpoint as well, so both answer a full disk the same way.
    """
    created = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:
            created = True
            for chunk in file.chunks():
                out.write(chunk)
    except OSError as exc:
        if created:  # never remove a file this call did not create
            path.unlink(missing_ok=True)
        logger.error("could not store upload at %s: %s", path, exc)
        if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
            raise UploadStorageError(
                exc.errno, "The server has no room left to store this file; nothing was imported. Try again later."
            ) from exc
        raise UploadStorageError(
            exc.errno, "The file could not be stored on the server; nothing was imported."
        ) from exc


def store_upload(
    *, city: City, user: Any, kind: str, file: UploadedFile, options: dict[str, Any] | None = None
) -> ImportUpload:
    """Save the file under a random name (never the user's) and record the upload.

    Raises :class:`UploadStorageError` when the file cannot be stored; then no row and no file exist.
    """
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}")
    suffix = Path(file.name or "").suffix.lower()
    if suffix not in EXTENSIONS:
        suffix = ".bin"
    folder = upload_dir(city)
    stored_name = secrets.token_hex(16) + suffix
    save_upload_file(file, folder / stored_name)
    try:
        return ImportUpload.objects.create(
            city=city,
            user=user,
            kind=kind,
            original_name=Path(file.name or "upload").name[:255],
            stored_name=stored_name,
            size=file.size or 0,
            options=options or {},
            status=ImportUpload.CHECKING,
        )
    except BaseException:
        (folder / stored_name).unlink(missing_ok=True)
        raise


def _set(upload: ImportUpload, **fields: Any) -> None:
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(upload, name, value)
    upload.save(update_fields=list(fields))


def _run(upload: ImportUpload, *, dry_run: bool) -> ImportRun | None:
    """Run the importer; label its ImportRun with the user's file name (not our random one)."""
    report = _importer(upload.kind)(
        upload.city, upload_path(upload), user=upload.user, dry_run=dry_run, **upload.options
    )
    if report.import_run_id is None:
        return None
    ImportRun.objects.filter(pk=report.import_run_id).update(filename=upload.original_name)
    return ImportRun.objects.get(pk=report.import_run_id)


def _discard_file(upload: ImportUpload) -> None:
    upload_path(upload).unlink(missing_ok=True)


def start_check(upload: ImportUpload) -> ImportUpload:
    """Check now, or queue the check when the file is large."""
    if upload.size > background_bytes():
        job = queue.enqueue(
            "import",
            city=upload.city,
            params={"upload": upload.pk, "step": "check", "language": translation.get_language()},
            key=f"import:{upload.pk}:check",
        )
        _set(upload, job=job)
        return upload
    return run_check(upload)


def run_check(upload: ImportUpload) -> ImportUpload:
    """Dry run: exact counts and every error, nothing written."""
    try:
        run = _run(upload, dry_run=True)
    except Exception:
        logger.exception("checking upload %s failed", upload.pk)
        _discard_file(upload)
        _set(upload, status=ImportUpload.FAILED, message="The file could not be checked (internal error).")
        return upload
    ok = run is not None and run.status == ImportRun.DRY_RUN
    if not ok:
        _discard_file(upload)
    _set(
        upload,
        check_run=run,
        status=ImportUpload.CHECKED if ok else ImportUpload.REJECTED,
        message=run.message if run else "",
    )
    return upload


class UploadStateError(ValueError):
    """The upload is not waiting for confirmation (already confirmed, rejected, or still checking)."""


def confirm_upload(upload: ImportUpload) -> ImportUpload:
    """Start the real import of a checked upload; a second confirmation is refused."""
    taken = ImportUpload.objects.filter(pk=upload.pk, status=ImportUpload.CHECKED).update(
        status=ImportUpload.IMPORTING, updated_at=timezone.now()
    )
    if not taken:
        raise UploadStateError("this file is not waiting for confirmation")
    upload.refresh_from_db()
    if upload.size > background_bytes():
        job = queue.enqueue(
            "import",
            city=upload.city,
            params={"upload": upload.pk, "step": "import", "language": translation.get_language()},
            key=f"import:{upload.pk}:import",
        )
        _set(upload, job=job)
        return upload
    return run_real_import(upload)


def run_real_import(upload: ImportUpload) -> ImportUpload:
    try:
        run = _run(upload, dry_run=False)
    except Exception:
        logger.exception("importing upload %s failed", upload.pk)
        _set(upload, status=ImportUpload.FAILED, message="The import failed (internal error); nothing was written.")
        return upload
    _discard_file(upload)
    ok = run is not None and run.status == ImportRun.OK
    _set(
        upload,
        import_run=run,
        status=ImportUpload.IMPORTED if ok else ImportUpload.REJECTED,
        message=run.message if run else "",
    )
    return upload


def progress_of(upload: ImportUpload) -> dict[str, Any]:
    """Where a background step stands, for the progress page and its JSON twin.

    The importers report no progress of their own. The real import performs the same work as the
    dry run before it (the dry run writes and rolls back), so the check's duration is a measured
    estimate of the import's; the check itself shows as indeterminate until it ends.
    """
    job: Job | None = upload.job
    state: dict[str, Any] = {
        "upload": upload.pk,
        "status": upload.status,
        "busy": upload.busy,
        "progress": None,
        "job": None,
    }
    if job is None:
        if not upload.busy:
            state["progress"] = 1.0
        return state
    job.refresh_from_db()
    state["job"] = {"status": job.status, "attempts": job.attempts, "error": job.error[:500]}
    if not upload.busy:
        state["progress"] = 1.0
    elif job.status == Job.RUNNING and upload.status == ImportUpload.IMPORTING and job.started_at:
        check = upload.check_run
        if check is not None and check.finished_at is not None:
            expected = max((check.finished_at - check.started_at).total_seconds(), 0.5)
            elapsed = (timezone.now() - job.started_at).total_seconds()
            state["progress"] = round(min(0.95, max(job.progress, elapsed / expected)), 3)
    elif job.status == Job.QUEUED:
        state["progress"] = 0.0
    return state
