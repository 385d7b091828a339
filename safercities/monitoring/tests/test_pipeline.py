"""The compute pipeline on small hand-made data: matrix building, stored results, idempotency, jobs."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from safercities.indicators.models import Observation
from safercities.jobs import queue
from safercities.jobs.models import Job
from safercities.monitoring.index_results import compute_and_store, ensure_default_definition, indicator_matrix
from safercities.monitoring.models import IndexResult
from safercities.places.models import Area

CODES = ["unemployment-rate", "homicide-rate", "feel-safe-after-dark", "food-insecurity", "pm25-annual-mean"]


def observe(city, code, area, period, value, kind="year"):
    from safercities.analytics.periods import parse_period

    p = parse_period(period)
    return Observation.objects.create(
        city=city,
        indicator=city.indicators.get(code=code),
        area=area,
        period=p.code,
        period_type=p.kind,
        period_start=p.start,
        period_end=p.end,
        value=value,
    )


@pytest.fixture
def areas(city):
    areas = [Area.objects.create(city=city, code=f"N{i}", name=f"Barrio {i}", level="neighbourhood") for i in range(6)]
    for i, area in enumerate(areas):
        # N5 is worst on every indicator; N0 best.
        observe(city, "unemployment-rate", area, "2024", 5 + 3 * i)
        observe(city, "homicide-rate", area, "2024", 2 + 4 * i)
        observe(city, "feel-safe-after-dark", area, "2024", 90 - 10 * i)  # higher is better
        observe(city, "food-insecurity", area, "2024", 10 + 5 * i)
        observe(city, "pm25-annual-mean", area, "2024", 15 + i)
    return areas


def test_matrix_prefers_annual_and_aggregates_months(city, areas):
    # Monthly values of a 'mean' indicator without an annual figure are averaged; an annual figure wins.
    for month, value in [("2024-01", 10.0), ("2024-02", 20.0)]:
        observe(city, "public-service-satisfaction", areas[0], month, value, kind="month")
    observe(city, "unemployment-rate", areas[0], "2024-03", 99.0, kind="month")
    matrix = indicator_matrix(city, 2024, "neighbourhood")
    assert matrix.loc["N0", "public-service-satisfaction"] == pytest.approx(15.0)
    assert matrix.loc["N0", "unemployment-rate"] == 5.0
    assert matrix.shape[0] == 6


def test_index_stored_with_interval_and_recompute_replaces(city, areas):
    definition = ensure_default_definition(city)
    rows = compute_and_store(city, definition, 2024, "neighbourhood", draws=100)
    by_code = {r.area.code: r for r in IndexResult.objects.select_related("area")}
    assert len(rows) == 6
    worst = by_code["N5"]
    assert worst.rank == 1 and worst.score == pytest.approx(10.0)
    assert worst.rank_low <= worst.rank <= worst.rank_high
    assert set(worst.dimensions) == {
        "economic",
        "food",
        "health",
        "environmental",
        "personal",
        "community",
        "political",
    }
    assert worst.dimensions["political"] is None  # no data: null, never 0
    compute_and_store(city, definition, 2024, "neighbourhood", draws=100)
    assert IndexResult.objects.count() == 6  # replaced, not duplicated


def test_index_command_json_shape(city, areas):
    out = io.StringIO()
    call_command("index", "--city", "testville", "--period", "2024", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["period"] == "2024" and data["level"] == "neighbourhood"
    first = data["areas"][0]
    assert first["code"] == "N5" and first["rank"] == 1 and len(first["rank_interval"]) == 2
    assert 0 <= first["score"] <= 10
    with pytest.raises(CommandError, match="per calendar year"):
        call_command("index", "--city", "testville", "--period", "2024-03", "--json", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not enough data"):
        call_command("index", "--city", "testville", "--period", "2019", "--json", stdout=io.StringIO())


def test_compute_job_runs_through_the_queue(city, areas):
    job = queue.enqueue("compute", city=city)
    assert queue.run_pending() == 1
    job.refresh_from_db()
    assert job.status == Job.DONE, job.error
    assert job.result["index"]["index_results"] >= 6
    assert IndexResult.objects.filter(city=city).exists()


def test_successful_import_queues_a_recompute(city, tmp_path, django_capture_on_commit_callbacks):
    from safercities.places.importers import import_areas

    path = tmp_path / "areas.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "A", "name": "A"},
                        "geometry": {"type": "Point", "coordinates": [-98.2, 19.0]},
                    }
                ],
            }
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = import_areas(city, path)
    assert report.ok
    assert Job.objects.filter(kind="compute", city=city, status=Job.QUEUED).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        rejected = import_areas(city, tmp_path / "missing.geojson")
    assert not rejected.ok
    assert Job.objects.filter(kind="compute").count() == 1  # a rejected import queues nothing new


def test_interconnections_of_dimensions(city, areas):
    ensure_default_definition(city)
    compute_and_store(city, ensure_default_definition(city), 2024, "neighbourhood", draws=0)
    out = io.StringIO()
    call_command(
        "interconnections",
        "--city",
        "testville",
        "--period",
        "2024",
        "--of",
        "indicators",
        "--min-n",
        "5",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    pair = next(
        p
        for p in data["pairs"]
        if {p["x"], p["y"]} == {"homicide-rate", "unemployment-rate"} and p["method"] == "pearson"
    )
    # Both rise linearly with the area number in the fixture: a perfect correlation.
    assert pair["r"] == pytest.approx(1.0) and pair["n"] == 6
    out = io.StringIO()
    call_command("interconnections", "--city", "testville", "--period", "2024", "--min-n", "5", "--json", stdout=out)
    dims = json.loads(out.getvalue())
    assert dims["of"] == "dimensions" and dims["pairs"], "dimension pairs from the stored index results"
    assert all(-1 <= p["r"] <= 1 and 0 <= p["q_value"] <= 1 for p in dims["pairs"])
