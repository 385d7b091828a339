"""Background step of the import wizard (job kind ``import``)."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection
from django.utils import translation

from safercities.jobs import queue
from safercities.jobs.models import Job
from safercities.workspace import imports
from safercities.workspace.models import ImportUpload

# Heartbeat while a long import runs, well inside the queue's STALE_AFTER, so the job is not re-queued.
HEARTBEAT_SECONDS = 60.0


def _keep_alive(job: Job, stop: threading.Event) -> None:
    try:
        while not stop.wait(HEARTBEAT_SECONDS):
            queue.heartbeat(job)
    finally:
        connection.close()


def run_upload(job: Job) -> dict[str, Any]:
    """Check or import one upload; safe to re-run (a finished step is not repeated)."""
    upload = ImportUpload.objects.select_related("city", "user").get(pk=job.params["upload"])
    step = job.params.get("step", "check")
    stop = threading.Event()
    beat = threading.Thread(target=_keep_alive, args=(job, stop), daemon=True)
    beat.start()
    try:
        queue.heartbeat(job, 0.01)
        # The importers' messages are stored as text: write them in the language of whoever started the step.
        with translation.override(job.params.get("language")):
            if step == "check" and upload.status == ImportUpload.CHECKING:
                imports.run_check(upload)
            elif step == "import" and upload.status == ImportUpload.IMPORTING:
                imports.run_real_import(upload)
    finally:
        stop.set()
        beat.join()
    upload.refresh_from_db()
    return {"upload": upload.pk, "status": upload.status}
