"""The import wizard: upload → check → confirm, in the request and in the background."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safercities.indicators.models import Observation
from safercities.ingest.models import ImportRun
from safercities.jobs import queue
from safercities.jobs.models import Job
from safercities.workspace.models import ImportUpload
from safercities.workspace.tests.conftest import BAD_OBSERVATIONS, GOOD_OBSERVATIONS, client_for

NEW = "/en/workspace/testville/imports/new/"


def upload(client, content: str, name: str = "data.csv", kind: str = "observations"):
    return client.post(NEW, {"kind": kind, "file": SimpleUploadedFile(name, content.encode())})


def stored_files(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "imports" / "testville"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_bad_file_lists_every_error_and_writes_nothing_then_good_file_imports(ana, areas, settings):
    client = client_for(ana)
    response = upload(client, BAD_OBSERVATIONS, "bad.csv")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "rejected" in page and "4 errors" in page
    for text in ["NOWHERE", "no-such-indicator", "lots", "2024-13"]:
        assert text in page
    assert "Confirm and import" not in page
    assert Observation.objects.count() == 0
    assert stored_files(settings) == []  # a rejected file is not kept

    response = upload(client, GOOD_OBSERVATIONS, "good.csv")
    detail = response["Location"]
    page = client.get(detail).content.decode()
    assert "has no errors" in page and "Confirm and import" in page
    assert Observation.objects.count() == 0  # checked, not written
    [kept] = stored_files(settings)
    assert kept.suffix == ".csv" and kept.name != "good.csv" and len(kept.stem) == 32  # random name

    the_upload = ImportUpload.objects.get(original_name="good.csv")
    response = client.post(reverse("workspace:upload_confirm", kwargs={"city": "testville", "pk": the_upload.pk}))
    assert response.status_code == 302
    assert Observation.objects.count() == 8
    the_upload.refresh_from_db()
    assert the_upload.status == ImportUpload.IMPORTED and the_upload.import_run.status == ImportRun.OK
    assert the_upload.import_run.filename == "good.csv" and the_upload.import_run.user == ana
    assert "8 created" in client.get(detail).content.decode().replace("<dd>8</dd>", "8 created")
    assert stored_files(settings) == []

    # Confirming again is refused politely and imports nothing twice.
    response = client.post(
        reverse("workspace:upload_confirm", kwargs={"city": "testville", "pk": the_upload.pk}), follow=True
    )
    assert "not waiting for confirmation" in response.content.decode()
    assert ImportRun.objects.filter(status=ImportRun.OK).count() == 1

    # History: the rejected check, the good check and the import, filterable.
    history = client.get("/en/workspace/testville/imports/").content.decode()
    assert "bad.csv" in history and "good.csv" in history
    rejected_only = client.get("/en/workspace/testville/imports/?status=rejected").content.decode()
    assert "bad.csv" in rejected_only and "good.csv" not in rejected_only


def test_errors_are_paginated_beyond_200(ana, areas):
    client = client_for(ana)
    rows = "".join(f"homicide-rate,MISSING{i},2024,1\n" for i in range(250))
    response = upload(client, "indicator,area,period,value\n" + rows)
    first = client.get(response["Location"]).content.decode()
    assert "250 errors" in first and "MISSING199" in first and "MISSING200" not in first
    assert "Page 1 of 2" in first
    second = client.get(response["Location"] + "?page=2").content.decode()
    assert "MISSING200" in second and "MISSING249" in second and "MISSING0&" not in second


def test_import_run_detail_shows_all_errors(ana, areas):
    client = client_for(ana)
    upload(client, BAD_OBSERVATIONS, "bad.csv")
    run = ImportRun.objects.get()
    page = client.get(reverse("workspace:import_run", kwargs={"city": "testville", "pk": run.pk})).content.decode()
    assert run.file_sha256 in page and "NOWHERE" in page and "month 13" in page


def test_size_limit_and_empty_file(ana, areas, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    client = client_for(ana)
    response = upload(client, GOOD_OBSERVATIONS)
    assert response.status_code == 200 and "the limit is 100" in response.content.decode()
    response = upload(client, "")
    assert response.status_code == 200 and "empty" in response.content.decode()
    assert not ImportUpload.objects.exists() and stored_files(settings) == []


def test_wrong_kind_of_file_is_rejected_not_a_crash(ana, areas):
    client = client_for(ana)
    response = upload(client, GOOD_OBSERVATIONS, "areas.csv", kind="areas")
    page = client.get(response["Location"]).content.decode()
    assert response.status_code == 302 and "rejected" in page


def test_large_file_goes_through_the_queue_with_progress(ana, areas, settings):
    settings.IMPORT_BACKGROUND_BYTES = 10  # every file is "large"
    client = client_for(ana)
    response = upload(client, GOOD_OBSERVATIONS, "big.csv")
    detail = response["Location"]
    the_upload = ImportUpload.objects.get()
    assert the_upload.status == ImportUpload.CHECKING and the_upload.job.kind == "import"
    page = client.get(detail).content.decode()
    assert "<progress" in page and "Waiting for a background worker" in page
    assert 'http-equiv="refresh"' in page  # the no-JavaScript fallback
    status_url = reverse("workspace:upload_status", kwargs={"city": "testville", "pk": the_upload.pk})
    state = client.get(status_url).json()
    assert state["busy"] is True and state["progress"] == 0.0 and state["job"]["status"] == "queued"

    assert queue.run_pending() >= 1
    state = client.get(status_url).json()
    assert state == {**state, "busy": False, "status": "checked", "progress": 1.0}
    assert Observation.objects.count() == 0

    client.post(reverse("workspace:upload_confirm", kwargs={"city": "testville", "pk": the_upload.pk}))
    the_upload.refresh_from_db()
    assert the_upload.status == ImportUpload.IMPORTING and Observation.objects.count() == 0
    assert "Importing the file" in client.get(detail).content.decode()
    queue.run_pending()
    the_upload.refresh_from_db()
    assert the_upload.status == ImportUpload.IMPORTED and Observation.objects.count() == 8
    assert Job.objects.get(pk=the_upload.job_id).progress == 1.0
    page = client.get(detail).content.decode()
    assert "Imported." in page and 'http-equiv="refresh"' not in page


def test_progress_estimate_of_a_running_import_uses_the_check_duration(ana, areas, settings):
    from datetime import timedelta

    from django.utils import timezone

    from safercities.workspace.imports import progress_of

    settings.IMPORT_BACKGROUND_BYTES = 10
    client = client_for(ana)
    upload(client, GOOD_OBSERVATIONS, "big.csv")
    queue.run_pending()
    the_upload = ImportUpload.objects.get()
    now = timezone.now()
    ImportRun.objects.filter(pk=the_upload.check_run_id).update(
        started_at=now - timedelta(seconds=100), finished_at=now - timedelta(seconds=80)
    )
    ImportUpload.objects.filter(pk=the_upload.pk).update(status=ImportUpload.IMPORTING)
    Job.objects.filter(pk=the_upload.job_id).update(
        status=Job.RUNNING, progress=0, started_at=now - timedelta(seconds=10)
    )
    the_upload.refresh_from_db()
    assert progress_of(the_upload)["progress"] == pytest.approx(0.5, abs=0.05)  # 10 s of about 20 s


def test_failing_importer_is_reported_not_raised(ana, areas, monkeypatch):
    from safercities.workspace import imports

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "_importer", lambda kind: boom)
    response = upload(client_for(ana), GOOD_OBSERVATIONS)
    page = client_for(ana).get(response["Location"]).content.decode()
    assert "could not be processed" in page and "disk on fire" not in page
    assert ImportUpload.objects.get().status == ImportUpload.FAILED
