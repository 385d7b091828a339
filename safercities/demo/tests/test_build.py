"""Building the demo through the importers: idempotent, labelled synthetic, users per role, safe defaults."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from safercities.accounts.models import Membership
from safercities.demo import build
from safercities.demo import generate as g
from safercities.incidents.models import Incident
from safercities.indicators.models import DIMENSION_CODES, Observation
from safercities.ingest.models import ImportRun
from safercities.places.models import Area, AreaPopulation, City

SMALL = 0.05
_generated: dict = {}
_real_generate = g.generate


@pytest.fixture(autouse=True)
def cached_generation(monkeypatch):
    """Generate each (seed, scale, codes) once per session: the builds here test loading, not generating."""

    def generate(*, seed=g.SEED, scale=1.0, catalogue=None, indicator_codes=None):
        key = (seed, scale, None if indicator_codes is None else tuple(sorted(indicator_codes)), catalogue is None)
        if key not in _generated or catalogue is not None:
            _generated[key] = _real_generate(
                seed=seed, scale=scale, catalogue=catalogue, indicator_codes=indicator_codes
            )
        return _generated[key]

    monkeypatch.setattr(g, "generate", generate)


def snapshot(city: City) -> dict:
    """Everything the demo writes, summarised so that any change shows."""
    observations = Observation.objects.filter(city=city)
    return {
        "areas": sorted(
            Area.objects.filter(city=city).values_list("code", "name", "level", "parent__code", "area_km2")
        ),
        "populations": AreaPopulation.objects.filter(area__city=city).aggregate(n=Count("id"), s=Sum("population")),
        "observations": observations.aggregate(n=Count("id"), s=Sum("value")),
        "incidents": sorted(
            Incident.objects.filter(city=city).values_list("area__code", "category").annotate(n=Count("id")), key=str
        ),
        "boundary": city.boundary,
        "users": sorted(get_user_model().objects.values_list("username", "password")),
    }


@pytest.fixture
def small(db):
    return build.build_demo(slug="demo-small", scale=SMALL)


def test_build_loads_everything_through_the_importers(small):
    city = small.city
    assert small.created_city and not small.skipped
    assert set(small.reports) == {"areas", "population", "observations", "incidents"}
    assert all(report.ok and report.created for report in small.reports.values())
    runs = ImportRun.objects.filter(city=city, status=ImportRun.OK)
    assert sorted(runs.values_list("kind", flat=True)) == ["areas", "incidents", "observations", "population"]
    assert Area.objects.filter(city=city, level="neighbourhood", area_km2__gt=0).count() == len(
        small.facts["neighbourhoods"]
    )
    # The importer's events are the official ones; the demo's resident reports add community incidents.
    official = Incident.objects.filter(city=city, source=Incident.OFFICIAL)
    assert official.count() == small.reports["incidents"].rows
    assert official.filter(area__isnull=True).count() == g.OUTSIDE_POINTS
    assert small.reports["incidents"].unassigned == g.OUTSIDE_POINTS
    # Labelled synthetic in the flag and in the name.
    city = City.objects.get(slug="demo-small")
    assert city.is_synthetic
    assert "synthetic" in city.name.lower()
    assert city.timezone == "America/Mexico_City"
    assert city.boundary["type"] == "Polygon"
    assert set(city.language_list) == {"en", "es"}


def test_the_importers_put_each_event_where_the_generator_did(small):
    data = g.generate(scale=SMALL, indicator_codes=small.city.indicators.values_list("code", flat=True))
    expected = data.incidents[data.incidents.area != ""].groupby(["area", "category"]).size().to_dict()
    rows = (
        Incident.objects.filter(city=small.city, area__isnull=False, source=Incident.OFFICIAL)
        .values_list("area__code", "category")
        .annotate(n=Count("id"))
    )
    stored = {(area, category): n for area, category, n in rows}
    assert stored == expected


def test_rerun_changes_nothing_forced_or_not(small, monkeypatch):
    city = small.city
    before = snapshot(city)
    runs = ImportRun.objects.count()
    # The fast path: the same files were imported already, so nothing is even generated.
    again = build.build_demo(slug="demo-small", scale=SMALL)
    assert again.skipped and not again.changed
    assert ImportRun.objects.count() == runs  # not even an import run was recorded
    assert snapshot(city) == before
    # Forced through the importers: every row unchanged.
    forced = build.build_demo(slug="demo-small", scale=SMALL, force=True)
    assert not forced.skipped and not forced.changed
    for kind, report in forced.reports.items():
        assert (report.created, report.updated) == (0, 0), kind
        assert report.unchanged == report.rows, kind
    assert snapshot(city) == before
    # A changed generator gets a new key, so it loads again (and here changes nothing either).
    monkeypatch.setattr(build, "DEMO_VERSION", "test-bump")
    bumped = build.build_demo(slug="demo-small", scale=SMALL)
    assert not bumped.skipped and bumped.key != small.key
    assert not bumped.changed
    assert snapshot(city) == before


def test_one_user_per_role_with_the_documented_password(small, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    result = build.build_demo(slug="demo-small", scale=SMALL, with_users=True)
    assert sorted(result.users_created) == sorted(name for name, _role in build.DEMO_USERS)
    users = get_user_model().objects
    for username, role in build.DEMO_USERS:
        user = users.get(username=username)
        assert user.check_password(build.DEMO_PASSWORD)
        membership = Membership.objects.get(user=user)
        assert membership.role == role
        assert membership.city == (None if role == "network_admin" else small.city)
    assert users.get(username="demo-analyst").is_staff
    assert not users.get(username="demo-resident").is_staff
    # A re-run creates nobody and keeps a password someone changed.
    admin = users.get(username="demo-admin")
    admin.set_password("changed by the admin 42")
    admin.save()
    again = build.build_demo(slug="demo-small", scale=SMALL, with_users=True)
    assert again.users_created == [] and not again.changed
    assert users.get(username="demo-admin").check_password("changed by the admin 42")
    assert Membership.objects.filter(user__username__startswith="demo-").count() == len(build.DEMO_USERS)


def test_refuses_to_write_into_a_real_city(city):
    areas = Area.objects.count()
    with pytest.raises(build.DemoError, match="not synthetic"):
        build.build_demo(slug=city.slug, scale=SMALL)
    assert Area.objects.count() == areas
    assert not ImportRun.objects.filter(city=city).exists()


def test_command_without_debug_creates_no_known_password_accounts(db, settings):
    settings.DEBUG = False
    out = StringIO()
    call_command("demo", "--city", "demo-cmd", "--scale", str(SMALL), stdout=out)
    assert "SYNTHETIC" in out.getvalue()
    assert "No demo users created" in out.getvalue()
    assert not get_user_model().objects.filter(username__startswith="demo-").exists()
    assert City.objects.get(slug="demo-cmd").is_synthetic


@pytest.fixture
def fake_build(db, monkeypatch):
    """The command's user policy without building data: record what it asked for."""
    from safercities.demo.management.commands import demo as command

    calls = []

    def fake(**kwargs):
        calls.append(kwargs)
        city = City(slug=kwargs["slug"], name=build.DEMO_NAME, is_synthetic=True)
        result = build.BuildResult(city=city, key="k", skipped=True)
        if kwargs["with_users"]:
            result.users_created = [name for name, _role in build.DEMO_USERS]
        return result

    monkeypatch.setattr(command, "build_demo", fake)
    return calls


def test_command_with_users_flag_prints_the_password_and_warns(fake_build, settings):
    settings.DEBUG = False
    out, err = StringIO(), StringIO()
    call_command("demo", "--city", "demo-cmd", "--with-users", stdout=out, stderr=err)
    assert fake_build[0]["with_users"] is True
    assert build.DEMO_PASSWORD in out.getvalue()
    assert "WARNING" in err.getvalue()


def test_command_with_debug_creates_users_without_warning(fake_build, settings):
    settings.DEBUG = True
    out, err = StringIO(), StringIO()
    call_command("demo", stdout=out, stderr=err)
    assert fake_build[0]["with_users"] is True and fake_build[0]["slug"] == "demo"
    assert "demo-network" in out.getvalue() and build.DEMO_PASSWORD in out.getvalue()
    assert err.getvalue() == ""


def test_command_rejects_a_bad_scale(db):
    with pytest.raises(CommandError):
        call_command("demo", "--scale", "2")


def test_command_refuses_a_real_city(city):
    with pytest.raises(CommandError, match="not synthetic"):
        call_command("demo", "--city", city.slug, "--scale", str(SMALL))


@pytest.mark.slow
def test_full_demo_build_is_complete_and_idempotent(db):
    first = build.build_demo(with_users=True)
    city = first.city
    facts = first.facts
    assert Area.objects.filter(city=city, level="district").count() >= 8
    assert Area.objects.filter(city=city, level="neighbourhood", area_km2__gt=0).count() >= 100
    assert Incident.objects.filter(city=city).count() >= 100_000
    observations = Observation.objects.filter(city=city)
    assert observations.values("indicator").distinct().count() >= 30
    assert set(observations.values_list("indicator__dimension__code", flat=True).distinct()) == set(DIMENSION_CODES)
    monthly = observations.filter(period_type="month")
    assert monthly.values("indicator").distinct().count() >= 10  # incl. those the incidents importer counted
    assert monthly.values("period").distinct().count() == 48
    # The planted signals, as stored.
    cluster = Incident.objects.filter(city=city, category="robbery", area__code__in=facts["cluster_neighbourhoods"])
    assert cluster.count() > 0.2 * Incident.objects.filter(city=city, category="robbery").count()
    surge = Observation.objects.filter(
        city=city, indicator__code="violent-crime-rate", area__code=facts["surge_neighbourhood"], sex=""
    )
    assert surge.filter(period="2025-12").get().value > 1.5 * surge.filter(period="2025-06").get().value
    before = snapshot(city)
    again = build.build_demo(with_users=True, force=True)
    assert not again.changed
    assert snapshot(city) == before
