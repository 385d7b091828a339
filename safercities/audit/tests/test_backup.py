"""Backup and restore round-trip a populated city; a damaged backup or a non-empty database is refused."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from safercities.accounts.models import Membership, TwoFactor
from safercities.audit import backup as backup_module
from safercities.audit import record
from safercities.audit.models import AuditEvent
from safercities.indicators.models import Indicator, Observation
from safercities.places.models import Area, AreaPopulation, City


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    (root / "reports" / "2024").mkdir(parents=True)
    (root / "reports" / "2024" / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 4)
    with override_settings(MEDIA_ROOT=root):
        yield root


@pytest.fixture
def populated(city, other_city, alice, ana, oscar, media):
    parent = Area.objects.create(city=city, code="D1", name="Distrito Uno", level="district")
    areas = [
        Area.objects.create(city=city, code=f"N{i}", name=f"Colonia {i} — Ñuñoa", level="neighbourhood", parent=parent)
        for i in range(5)
    ]
    AreaPopulation.objects.create(area=parent, year=2020, population=12000)
    indicator = Indicator.objects.filter(city=city).order_by("code").first()
    Observation.objects.bulk_create(
        Observation(
            city=city,
            indicator=indicator,
            area=area,
            period="2024-03",
            period_type="month",
            period_start=date(2024, 3, 1),
            period_end=date(2024, 3, 31),
            value=1.5 * i,
        )
        for i, area in enumerate(areas)
    )
    TwoFactor.objects.create(user=alice, secret="JBSWY3DPEHPK3PXP")
    record(action="update", user=alice, city=city, model_label="places.area", object_id="1", before={"a": 1})
    return city


def _state():
    return {
        "cities": list(City.objects.order_by("pk").values()),
        "areas": list(Area.objects.order_by("pk").values()),
        "observations": list(Observation.objects.order_by("pk").values()),
        "indicators": Indicator.objects.count(),
        "users": list(get_user_model().objects.order_by("pk").values("username", "password", "is_staff")),
        "memberships": list(Membership.objects.order_by("pk").values("user__username", "city__slug", "role")),
        "audit": list(AuditEvent.objects.order_by("pk").values("username", "action", "before", "created_at")),
        "two_factor": list(TwoFactor.objects.values_list("user__username", "secret")),
    }


def test_round_trip(populated, media, tmp_path):
    target = tmp_path / "backup"
    call_command("backup", output=str(target))
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["counts"]["places.area"] == 6 and manifest["counts"]["indicators.observation"] == 5
    assert manifest["media_files"] == 1 and "accounts.loginfailure" not in manifest["counts"]
    before = _state()

    # An empty database and an empty media folder, as on a new server after `migrate`.
    backup_module._wipe("default")
    assert City.objects.count() == 0 and get_user_model().objects.count() == 0
    (media / "reports" / "2024" / "photo.jpg").unlink()
    call_command("restore", str(target))

    assert _state() == before
    assert (media / "reports" / "2024" / "photo.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    counts = {model._meta.label_lower: model._base_manager.count() for model in backup_module.backed_up_models()}
    assert counts == manifest["counts"]


def test_non_empty_database_is_refused_unless_forced(populated, tmp_path, media):
    target = tmp_path / "backup"
    call_command("backup", output=str(target))
    Area.objects.create(city=populated, code="NEW", name="Added after the backup")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(target))
    assert Area.objects.filter(code="NEW").exists()
    call_command("restore", str(target), force=True)
    assert not Area.objects.filter(code="NEW").exists() and Area.objects.count() == 6


@pytest.mark.parametrize("damage", ["edit", "truncate", "remove", "manifest"])
def test_damaged_backup_is_refused_and_nothing_changes(populated, tmp_path, media, damage):
    target = tmp_path / "backup"
    call_command("backup", output=str(target))
    areas = target / "db" / "places.area.json"
    if damage == "edit":
        areas.write_text(areas.read_text().replace("Distrito Uno", "Distrito Dos"))
    elif damage == "truncate":
        areas.write_bytes(areas.read_bytes()[:-10])
    elif damage == "remove":
        (target / "media.tar").unlink()
    else:
        (target / "manifest.json").write_text("{not json")
    before = _state()
    with pytest.raises(CommandError, match="damaged|incomplete") as error:
        call_command("restore", str(target), force=True)
    assert "Nothing was restored" in str(error.value)
    assert _state() == before


def test_backup_refuses_a_folder_in_use(db, tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", output=str(tmp_path))


def test_not_a_backup(db, tmp_path):
    with pytest.raises(CommandError, match="manifest.json is missing"):
        call_command("restore", str(tmp_path))


def test_backup_files_are_private(populated, tmp_path, media):
    target = tmp_path / "backup"
    call_command("backup", output=str(target))
    assert (target.stat().st_mode & 0o077) == 0
    assert all((path.stat().st_mode & 0o077) == 0 for path in Path(target).rglob("*") if path.is_file())
