"""Benchmark: the full ``compute`` of a 2,000-area city, 40 indicators, 60 months (not a test; run by hand).

    .venv/bin/python bench/bench_compute.py [--engines sqlite postgres] [--draws 1000] [--repeat 1] [--keep]

For each database (a SQLite file under ``--workdir`` and the PostgreSQL database ``sc_bench_compute``,
both created here and dropped at the end unless ``--keep``), one child process sets the city up and a
second one times ``compute_all`` (the ``safercities compute`` command's work) and a third
``aggregate_incidents``, so that each has its own
interpreter. The city (seeded, synthetic):

- 40 districts (level ``district``, 10 × 5 quads each) over 2,000 neighbourhoods (a 50 × 40 grid of
  quads round Mexico City), every area with a population;
- 40 of the catalogue's indicators: the 10 that count incidents (monthly, written by
  ``aggregate_incidents`` from the incidents below, ``source = "incidents"``), 20 others with 60
  monthly values per neighbourhood (2021-01 … 2025-12) and 10 with 5 annual values (2021 … 2025);
- ≈ 1 M incidents over the 14 categories of those indicators, with area and h3 cell, COPY-ed (PostgreSQL)
  or inserted with ``executemany`` in one transaction (SQLite);
- a planted surge (robbery ×4 in one neighbourhood in the last two months) and a planted cluster.

The first ``aggregate_incidents`` runs during setup (that is the import's job), followed by ``ANALYZE``
(PostgreSQL's autovacuum would do it after such a load). The headline is the timed compute — index
(1,000 draws for the latest year), alerts and hot spots, as the job after any import runs it (no
aggregation: the incidents importer aggregates inside its own transaction). A separate child times
``aggregate_incidents`` on its own (every cell unchanged), the work of ``compute --aggregate``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = os.environ.get("BENCH_DB", "sc_bench_compute")  # or --pg-database
SLUG = "bench-compute"
COLUMNS, ROWS_OF_AREAS = 50, 40  # 2,000 quads
DISTRICT_W, DISTRICT_H = 10, 5  # 40 districts
WEST, SOUTH, EAST, NORTH = -99.30, 19.20, -98.90, 19.60
YEARS = list(range(2021, 2026))
MONTHS = [(y, m) for y in YEARS for m in range(1, 13)]
INCIDENT_INDICATORS = [
    "notifiable-disease-cases",
    "fire-incidents",
    "flood-incidents",
    "homicide-incidents",
    "violent-crime-rate",
    "property-crime-rate",
    "gbv-incidents",
    "road-collisions",
    "vandalism-incidents",
    "drug-offence-incidents",
]
ANNUAL = [
    "poverty-national-line",
    "food-insecurity-severe",
    "child-stunting",
    "child-wasting",
    "safe-drinking-water",
    "safe-sanitation",
    "air-pollution-mortality",
    "suicide-rate",
    "local-drr-strategy",
    "intimate-partner-violence",
]
MONTHLY = [
    "unemployment-rate",
    "youth-neet",
    "inadequate-housing",
    "informal-employment",
    "food-insecurity",
    "food-expenditure-share",
    "uhc-service-coverage",
    "pm25-annual-mean",
    "disaster-affected",
    "solid-waste-managed",
    "homicide-rate",
    "violence-victimisation",
    "feel-safe-after-dark",
    "harassment-victims",
    "non-partner-sexual-violence",
    "road-traffic-deaths",
    "discrimination-experienced",
    "public-open-space",
    "public-transport-access",
    "audit-poor-lighting",
]
# Incidents per neighbourhood and month (before the area's own factor), per category.
CATEGORY_MEANS = {
    "robbery": 2.2,
    "assault": 1.5,
    "burglary": 1.2,
    "vehicle_theft": 1.0,
    "vandalism": 0.8,
    "traffic_collision": 0.8,
    "drug_offence": 0.6,
    "harassment": 0.5,
    "domestic_violence": 0.5,
    "sexual_violence": 0.2,
    "homicide": 0.08,
    "fire": 0.3,
    "flood": 0.05,
    "disease_case": 0.4,
}
SURGE_AREA, CLUSTER = "N0987", {"N0610", "N0611", "N0660", "N0661"}


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safercities.settings")
    import django

    django.setup()


# ------------------------------------------------------------------------------------------------ setup


def _grid():
    import numpy as np

    xs = np.linspace(WEST, EAST, COLUMNS + 1)
    ys = np.linspace(SOUTH, NORTH, ROWS_OF_AREAS + 1)
    return np, xs, ys


def _km2(w: float, s: float, e: float, n: float) -> float:
    import math

    return (e - w) * 111.32 * math.cos(math.radians((s + n) / 2)) * (n - s) * 110.57


def _box(w: float, s: float, e: float, n: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _area(city, code, level, parent, w, s, e, n):
    from safercities.places.models import Area

    return Area(
        city=city,
        code=code,
        name=code,
        level=level,
        parent=parent,
        geometry=_box(w, s, e, n),
        area_km2=_km2(w, s, e, n),
        min_lon=w,
        max_lon=e,
        min_lat=s,
        max_lat=n,
        centroid_lon=(w + e) / 2,
        centroid_lat=(s + n) / 2,
    )


def _copy_or_insert(table: str, columns: list[str], frame) -> None:
    """PostgreSQL: COPY a CSV rendering of ``frame``; SQLite: one ``executemany`` (caller's transaction)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False, na_rep="\\N")
        data = buffer.getvalue().encode()
        with connection.cursor() as cursor:
            raw = cursor.cursor
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            with raw.copy(sql) as copy:
                for begin in range(0, len(data), 1 << 24):
                    copy.write(data[begin : begin + (1 << 24)])
    else:
        marks = ", ".join("?" for _ in columns)
        rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def step_setup() -> dict:
    """Migrate the database named by DATABASE_URL; create the city, areas, observations and incidents."""
    _django()
    import h3
    import pandas as pd
    from django.core.management import call_command
    from django.db import transaction

    from safercities.incidents.aggregation import aggregate_incidents
    from safercities.incidents.models import Incident
    from safercities.indicators.models import Indicator, Observation
    from safercities.places.actions import create_city
    from safercities.places.models import Area, AreaPopulation, City

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    City.objects.filter(slug=SLUG).delete()
    city = create_city(slug=SLUG, name="Bench Compute City", country="MX", timezone="America/Mexico_City")
    keep = set(INCIDENT_INDICATORS) | set(ANNUAL) | set(MONTHLY)
    Indicator.objects.filter(city=city).exclude(code__in=keep).delete()
    assert Indicator.objects.filter(city=city).count() == 40
    assert Indicator.objects.filter(city=city).exclude(incident_categories=[]).count() == 10
    np, xs, ys = _grid()
    rng = np.random.default_rng(20261124)

    # Areas: 40 districts of 10 × 5 quads, 2,000 neighbourhoods.
    with transaction.atomic():
        districts = []
        for dj in range(ROWS_OF_AREAS // DISTRICT_H):
            for di in range(COLUMNS // DISTRICT_W):
                w, e = xs[di * DISTRICT_W], xs[(di + 1) * DISTRICT_W]
                s, n = ys[dj * DISTRICT_H], ys[(dj + 1) * DISTRICT_H]
                districts.append(_area(city, f"D{len(districts) + 1:02d}", "district", None, w, s, e, n))
        Area.objects.bulk_create(districts)
        district_ids = dict(Area.objects.filter(city=city, level="district").values_list("code", "id"))
        hoods = []
        for j in range(ROWS_OF_AREAS):
            for i in range(COLUMNS):
                d = (j // DISTRICT_H) * (COLUMNS // DISTRICT_W) + i // DISTRICT_W
                parent = Area(id=district_ids[f"D{d + 1:02d}"])
                code = f"N{j * COLUMNS + i:04d}"
                hoods.append(_area(city, code, "neighbourhood", parent, xs[i], ys[j], xs[i + 1], ys[j + 1]))
        Area.objects.bulk_create(hoods, batch_size=500)
    hood_rows = list(
        Area.objects.filter(city=city, level="neighbourhood")
        .order_by("code")
        .values_list("id", "code", "parent_id", "min_lon", "min_lat", "max_lon", "max_lat")
    )
    n_hoods = len(hood_rows)
    hood_ids = np.array([r[0] for r in hood_rows])
    hood_codes = [r[1] for r in hood_rows]
    population = rng.integers(2_000, 20_000, size=n_hoods)
    district_population: dict[int, int] = {}
    for (_id, _c, parent, *_b), p in zip(hood_rows, population, strict=True):
        district_population[parent] = district_population.get(parent, 0) + int(p)
    AreaPopulation.objects.bulk_create(
        [
            AreaPopulation(area_id=int(a), year=2021, population=int(n))
            for a, n in zip(hood_ids, population, strict=True)
        ]
        + [AreaPopulation(area_id=a, year=2021, population=n) for a, n in district_population.items()],
        batch_size=1000,
    )

    # Observations: 20 monthly × 60 and 10 annual × 5 per neighbourhood (totals only).
    indicators = dict(Indicator.objects.filter(city=city).values_list("code", "id"))
    latent = rng.normal(size=n_hoods)
    frames = []
    month_codes = [f"{y:04d}-{m:02d}" for y, m in MONTHS]
    month_starts = [f"{y:04d}-{m:02d}-01" for y, m in MONTHS]
    month_ends = [str((pd.Timestamp(y, m, 1) + pd.offsets.MonthEnd(0)).date()) for y, m in MONTHS]
    for position, code in enumerate(MONTHLY + ANNUAL):
        annual = code in ANNUAL
        periods = [str(y) for y in YEARS] if annual else month_codes
        starts = [f"{y}-01-01" for y in YEARS] if annual else month_starts
        ends = [f"{y}-12-31" for y in YEARS] if annual else month_ends
        t = len(periods)
        level = 20 + 8 * (0.6 * latent + rng.normal(size=n_hoods))  # area effect
        trend = np.where(rng.random(n_hoods) < 0.05, rng.normal(0, 0.3, n_hoods), 0.0)  # 5 % trending
        values = level[:, None] + trend[:, None] * np.arange(t)[None, :] + rng.normal(0, 2, size=(n_hoods, t))
        values = np.clip(values, 0.1, 99.9).round(2)
        frames.append(
            pd.DataFrame(
                {
                    "city_id": city.pk,
                    "indicator_id": indicators[code],
                    "area_id": np.repeat(hood_ids, t),
                    "period": np.tile(periods, n_hoods),
                    "period_type": "year" if annual else "month",
                    "period_start": np.tile(starts, n_hoods),
                    "period_end": np.tile(ends, n_hoods),
                    "value": values.ravel(),
                    "sex": "",
                    "age_group": "",
                    "disability": "",
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "quality": "official",
                    "source": f"bench-{position}",
                }
            )
        )
    observations = pd.concat(frames, ignore_index=True)
    meta = Observation._meta
    columns = [meta.get_field(name).column for name in observations.columns]
    with transaction.atomic():
        _copy_or_insert(meta.db_table, columns, observations.set_axis(columns, axis=1))
    written_observations = len(observations)
    del observations, frames

    # Incidents: Poisson counts per neighbourhood × month × category, points inside the quad.
    factor = np.exp(0.5 * latent)  # busier areas
    pieces = []
    month_index = np.arange(len(MONTHS))
    season = 1 + 0.15 * np.sin(2 * np.pi * (month_index % 12) / 12)
    for category, mean in CATEGORY_MEANS.items():
        lam = mean * factor[:, None] * season[None, :]
        if category in ("robbery", "assault"):
            cluster = np.array([c in CLUSTER for c in hood_codes])
            lam[cluster] *= 3
        if category == "robbery":
            lam[hood_codes.index(SURGE_AREA), -2:] *= 4
        counts = rng.poisson(lam)
        area_of, month_of = np.nonzero(counts)
        repeat = counts[area_of, month_of]
        pieces.append((category, np.repeat(area_of, repeat), np.repeat(month_of, repeat)))
    category = np.concatenate([np.full(len(a), c, dtype=object) for c, a, _m in pieces])
    area_of = np.concatenate([a for _c, a, _m in pieces])
    month_of = np.concatenate([m for _c, _a, m in pieces])
    n_incidents = len(area_of)
    bounds = np.array([r[3:7] for r in hood_rows], dtype=float)
    lon = bounds[area_of, 0] + rng.uniform(0.02, 0.98, n_incidents) * (bounds[area_of, 2] - bounds[area_of, 0])
    lat = bounds[area_of, 1] + rng.uniform(0.02, 0.98, n_incidents) * (bounds[area_of, 3] - bounds[area_of, 1])
    day = rng.integers(1, 29, n_incidents)
    years = np.array([y for y, _m in MONTHS])[month_of]
    months = np.array([m for _y, m in MONTHS])[month_of]
    occurred = [f"{y:04d}-{m:02d}-{d:02d} 18:00:00+00:00" for y, m, d in zip(years, months, day, strict=True)]
    cells = [h3.latlng_to_cell(a, b, city.h3_resolution) for a, b in zip(lat, lon, strict=True)]
    incidents = pd.DataFrame(
        {
            "city_id": city.pk,
            "fingerprint": [f"b{i:08d}" for i in range(n_incidents)],
            "external_id": "",
            "occurred_at": occurred,
            "category": category,
            "lat": lat.round(6),
            "lon": lon.round(6),
            "area_id": hood_ids[area_of],
            "h3_cell": cells,
            "source": np.where(rng.random(n_incidents) < 0.1, Incident.COMMUNITY, Incident.OFFICIAL),
            "victim_sex": "",
            "victim_age_group": "",
        }
    )
    meta = Incident._meta
    if any(f.name == "month" for f in meta.get_fields()):  # the local month, when the model keeps one
        incidents["month"] = [f"{y:04d}-{m:02d}" for y, m in zip(years, months, strict=True)]
    columns = [meta.get_field(name).column for name in incidents.columns]
    with transaction.atomic():
        _copy_or_insert(meta.db_table, columns, incidents.set_axis(columns, axis=1))
    del incidents
    aggregated = aggregate_incidents(city)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as autovacuum leaves them after a bulk load
    return {
        "areas": Area.objects.filter(city=city).count(),
        "indicators": Indicator.objects.filter(city=city).count(),
        "observations_written": written_observations,
        "incidents": n_incidents,
        "aggregated_created": aggregated["created"],
        "observations_total": Observation.objects.filter(city=city).count(),
        "setup_seconds": round(time.perf_counter() - started, 1),
    }


def step_compute(draws: str) -> dict:
    """Time ``compute_all`` (the ``compute`` command's work) on the bench city."""
    _django()
    from safercities.monitoring.compute import compute_all
    from safercities.monitoring.models import Alert, HotspotResult
    from safercities.places.models import City

    city = City.objects.get(slug=SLUG)
    # The modules a compute needs, loaded first and timed apart: the job worker loads them when it starts
    # (``preload``); a ``safercities compute`` command pays them once (total + imports).
    from safercities.monitoring.compute import preload

    imports = preload()
    started, cpu = time.perf_counter(), time.process_time()
    summary = compute_all(city, draws=int(draws))
    summary["total"] = round(time.perf_counter() - started, 3)
    summary["imports"] = round(imports, 3)
    summary["python_cpu"] = round(time.process_time() - cpu, 3)  # this process only (not the database server)
    surge = Alert.objects.filter(city=city, area__code=SURGE_AREA, kind="exceedance", period__gte="2025-11")
    summary["surge_alerts"] = sorted(f"{a.indicator.code} {a.period} {a.severity}" for a in surge)
    hot = HotspotResult.objects.filter(city=city, indicator__code="violent-crime-rate", unit="neighbourhood").first()
    summary["cluster_hot"] = sorted(u["code"] for u in (hot.units if hot else []) if u.get("hotspot") == "hot")
    summary["cluster_hot"] = [c for c in summary["cluster_hot"] if c in CLUSTER]
    summary["alerts_by_kind"] = {
        kind: Alert.objects.filter(city=city, kind=kind).count() for kind in ("exceedance", "threshold", "trend")
    }
    return summary


def step_aggregate() -> dict:
    """Time ``aggregate_incidents`` alone (what ``compute --aggregate`` adds; every cell unchanged)."""
    _django()
    from safercities.incidents.aggregation import aggregate_incidents
    from safercities.places.models import City

    city = City.objects.get(slug=SLUG)
    started = time.perf_counter()
    result = aggregate_incidents(city)
    return {
        "aggregation": round(time.perf_counter() - started, 3),
        **{k: v for k, v in result.items() if isinstance(v, int)},
    }


STEPS = {"setup": step_setup, "compute": step_compute, "aggregate": step_aggregate}


# ------------------------------------------------------------------------------------------------ parent


def run_child(step: str, *args: str, env: dict) -> dict:
    """Run one step in a fresh interpreter with ``env``; return its JSON result and its wall time."""
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, __file__, "--step", step, *args],
        stdout=subprocess.PIPE,
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
    ).stdout
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 1)
    return result


def _postgres(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def _uptime() -> str:
    return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="timed compute runs per database")
    parser.add_argument("--workdir", default="/tmp/sc_bench_compute")
    parser.add_argument("--pg-database", default=BENCH_DB, help="PostgreSQL database to create and use")
    parser.add_argument("--keep", action="store_true", help="keep the databases (re-run with --skip-setup)")
    parser.add_argument("--skip-setup", action="store_true")
    parser.add_argument("--no-aggregate", action="store_true", help="skip the separate aggregation timing")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step:
        print(json.dumps(STEPS[options.step](*options.args)))
        return

    pg_db = options.pg_database
    workdir = Path(options.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sqlite_db = workdir / "bench.sqlite3"
    common = {"SECRET_KEY": "bench-only", "DEBUG": "false", "TESTING": "false", "LOG_LEVEL": "WARNING"}
    envs = {
        "sqlite": {**common, "DATABASE_URL": f"sqlite:///{sqlite_db}", "DATA_DIR": str(workdir)},
        "postgres": {**common, "DATABASE_URL": f"{PG_SERVER}/{pg_db}", "DATA_DIR": str(workdir)},
    }
    print(f"python {platform.python_version()}, {os.cpu_count()} CPU(s); {_uptime()}")
    try:
        for engine in options.engines:
            if not options.skip_setup:
                if engine == "sqlite":
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
                else:
                    _postgres(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)")
                    _postgres(f"CREATE DATABASE {pg_db}")
                print(engine, "setup", json.dumps(run_child("setup", env=envs[engine])), flush=True)
            for _run in range(options.repeat):
                before = _uptime()
                result = run_child("compute", str(options.draws), env=envs[engine])
                print(engine, "compute", json.dumps(result), flush=True)
                print(
                    f"  seconds per step: {result['seconds']}, total {result['total']} s "
                    f"(Python CPU {result['python_cpu']} s); module imports before it {result['imports']} s"
                )
                print(f"  load before: {before}; after: {_uptime()}", flush=True)
            if options.no_aggregate:
                continue
            before = _uptime()
            result = run_child("aggregate", env=envs[engine])
            print(engine, "aggregate (compute --aggregate adds)", json.dumps(result), flush=True)
            print(f"  load before: {before}; after: {_uptime()}", flush=True)
    finally:
        if not options.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
            if "postgres" in options.engines:
                _postgres(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)")


if __name__ == "__main__":
    main()
