"""Issue 8: a full disk while an upload is stored — the user is told, and nothing is left behind
(no upload row, no import run, no half-written file)."""

from __future__ import annotations

import errno
import inspect
import io
import json
from pathlib import Path

import pytest
from django.test import Client

from safercities.api import tokens
from safercities.ingest.models import ImportRun
from safercities.portal.tests.factories import build_small_city
from safercities.workspace import imports
from safercities.workspace.models import ImportUpload
from tests.fuzz.helpers import row_counts

CSV = b"indicator,area,period,value\n" + b"".join(b"homicide-rate,A1,%d,%d\n" % (1990 + i, i) for i in range(30))


class _FullDisk:
    """A file object that accepts a few bytes and then fails as a full disk does."""

    def __init__(self, real, budget: int, code: int):
        self.real, self.budget, self.code = real, budget, code

    def write(self, data: bytes) -> int:
        if self.budget <= 0:
            raise OSError(self.code, "No space left on device" if self.code == errno.ENOSPC else "I/O error")
        written = self.real.write(data[: self.budget])
        self.budget -= written
        if written < len(data):
            raise OSError(self.code, "No space left on device" if self.code == errno.ENOSPC else "I/O error")
        return written

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()
        return False


@pytest.fixture
def full_disk(monkeypatch):
    """Make the upload store's writes fail after 10 bytes (a half-written file is really created)."""
    state = {"code": errno.ENOSPC}

    def fake_open(path, mode="r", *args, **kwargs):
        real = open(path, mode, *args, **kwargs)  # noqa: SIM115 — closed by the wrapper
        return _FullDisk(real, 10, state["code"]) if "b" in mode and ("x" in mode or "w" in mode) else real

    monkeypatch.setattr(imports, "open", fake_open, raising=False)
    return state


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_upload_form_on_a_full_disk(city, ana, settings, full_disk):
    build_small_city(city)
    client = Client()
    client.force_login(ana)
    before = row_counts()
    upload = io.BytesIO(CSV)
    upload.name = "observations.csv"
    response = client.post(f"/en/workspace/{city.slug}/imports/new/", {"kind": "observations", "file": upload})
    assert response.status_code == 507
    assert b"no room left to store this file" in response.content
    assert not ImportUpload.objects.exists() and not ImportRun.objects.exists()
    assert row_counts() == before
    assert _files(Path(settings.MEDIA_ROOT)) == []


def test_upload_form_on_another_storage_failure(city, ana, settings, full_disk):
    full_disk["code"] = errno.EIO
    client = Client()
    client.force_login(ana)
    upload = io.BytesIO(CSV)
    upload.name = "observations.csv"
    response = client.post(f"/en/workspace/{city.slug}/imports/new/", {"kind": "observations", "file": upload})
    assert response.status_code == 503 and b"could not be stored" in response.content
    assert not ImportUpload.objects.exists() and _files(Path(settings.MEDIA_ROOT)) == []


def test_a_database_failure_after_storing_removes_the_file(city, ana, settings, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def refuse(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ImportUpload.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        imports.store_upload(city=city, user=ana, kind="observations", file=SimpleUploadedFile("a.csv", CSV))
    assert _files(Path(settings.MEDIA_ROOT)) == []


def test_an_existing_file_is_never_removed(tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    taken = tmp_path / "taken.csv"
    taken.write_bytes(b"keep me")
    with pytest.raises(imports.UploadStorageError):
        imports.save_upload_file(SimpleUploadedFile("a.csv", CSV), taken)
    assert taken.read_bytes() == b"keep me"


API_USES_THE_STORE = "save_upload_file" in inspect.getsource(
    __import__("safercities.api.official", fromlist=["import_file"]).import_file
)


@pytest.mark.skipif(
    not API_USES_THE_STORE,
    reason="api/official.py import_file does not store uploads through workspace.imports.save_upload_file yet",
)
def test_api_import_on_a_full_disk(city, ana, full_disk, tmp_path):
    build_small_city(city)
    _token, secret = tokens.create_token(user=ana, scopes="read,write", name="disk")
    before = row_counts()
    upload = io.BytesIO(CSV)
    upload.name = "observations.csv"
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        f"/api/v1/cities/{city.slug}/imports/observations", {"file": upload}
    )
    assert response.status_code == 507, response.content
    body = json.loads(response.content)
    assert body["error"]["code"] == "insufficient_storage" and "no room" in body["error"]["message"]
    assert row_counts() == before and not ImportRun.objects.exists()
