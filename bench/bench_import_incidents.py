"""Benchmark: 1,000,000 incidents into a 2,000-area synthetic city (not a test; run by hand).

    .venv/bin/python bench/bench_import_incidents.py [--rows 1000000] [--write-docs]

Runs, each in its own process so that wall time and peak RSS (``os.wait4``) are its own:

a. the plain analyst's script: pandas ``read_csv`` + GeoPandas ``points_from_xy`` + ``sjoin`` + ``groupby``;
b. PostgreSQL ``COPY`` of the same CSV into a bare table (the floor);
c. ``import_incidents`` on SQLite (file database);
d. ``import_incidents`` on PostgreSQL (throwaway database ``sc_bench``, created and migrated here).

Targets: (c)/(d) ≤ 30 s and ≤ 1.5 GB peak RSS, faster than (a), within 4× of (b). The import times
include validation, area assignment, h3, the merge and the monthly aggregation into observations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = "sc_bench"
COLUMNS, ROWS_OF_AREAS = 50, 40  # 2,000 quads
WEST, SOUTH, EAST, NORTH = -99.30, 19.20, -98.90, 19.60  # roughly Mexico City
CATEGORIES = [
    ("robbery", 0.22),
    ("assault", 0.15),
    ("burglary", 0.12),
    ("vehicle_theft", 0.10),
    ("vandalism", 0.08),
    ("traffic_collision", 0.08),
    ("drug_offence", 0.06),
    ("harassment", 0.05),
    ("domestic_violence", 0.05),
    ("homicide", 0.02),
    ("fire", 0.04),
    ("noise", 0.03),
]


# ------------------------------------------------------------------------------------------------ data


def generate(workdir: Path, rows: int, seed: int = 20261123) -> tuple[Path, Path]:
    """A 40×50 grid of slightly irregular quads (shared jittered vertices) and ``rows`` events."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    xs = np.linspace(WEST, EAST, COLUMNS + 1)
    ys = np.linspace(SOUTH, NORTH, ROWS_OF_AREAS + 1)
    gx, gy = np.meshgrid(xs, ys)  # (rows+1, cols+1)
    dx, dy = (EAST - WEST) / COLUMNS, (NORTH - SOUTH) / ROWS_OF_AREAS
    inner = (slice(1, -1), slice(1, -1))
    gx[inner] += rng.uniform(-0.3, 0.3, gx[inner].shape) * dx
    gy[inner] += rng.uniform(-0.3, 0.3, gy[inner].shape) * dy
    areas = []
    km_per_deg_lat, km_per_deg_lon = 110.574, 111.320 * np.cos(np.radians((SOUTH + NORTH) / 2))
    for r in range(ROWS_OF_AREAS):
        for c in range(COLUMNS):
            ring = [
                (gx[r, c], gy[r, c]),
                (gx[r, c + 1], gy[r, c + 1]),
                (gx[r + 1, c + 1], gy[r + 1, c + 1]),
                (gx[r + 1, c], gy[r + 1, c]),
            ]
            x = np.array([p[0] for p in ring])
            y = np.array([p[1] for p in ring])
            shoelace = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
            areas.append(
                {
                    "code": f"A{r:02d}{c:02d}",
                    "geometry": {"type": "Polygon", "coordinates": [[*map(list, ring), list(ring[0])]]},
                    "km2": float(shoelace * km_per_deg_lat * km_per_deg_lon),
                    "population": int(rng.integers(2_000, 20_000)),
                }
            )
    areas_path = workdir / "areas.json"
    areas_path.write_text(json.dumps(areas))

    # Events over 2024 in local time; ~2 % fall just outside the grid (unassigned, kept).
    pad = 0.004
    lat = rng.uniform(SOUTH - pad, NORTH + pad, rows).round(6)
    lon = rng.uniform(WEST - pad, EAST + pad, rows).round(6)
    seconds = rng.integers(0, 366 * 86_400, rows)
    when = (np.datetime64("2024-01-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(str)
    names, weights = zip(*CATEGORIES, strict=True)
    category = rng.choice(np.array(names), size=rows, p=np.array(weights) / sum(weights))
    frame = pd.DataFrame({"time": np.char.replace(when, "T", " "), "category": category, "lat": lat, "lon": lon})
    csv_path = workdir / "incidents.csv"
    frame.to_csv(csv_path, index=False)
    return areas_path, csv_path


# ------------------------------------------------------------------------------------------------ steps (children)


def step_analyst(csv_path: str, areas_path: str) -> dict:
    """What an analyst would write with GeoPandas: join, then count per area, category and month."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import shape

    started = time.perf_counter()
    areas = json.loads(Path(areas_path).read_text())
    polygons = gpd.GeoDataFrame(
        {"code": [a["code"] for a in areas]}, geometry=[shape(a["geometry"]) for a in areas], crs="EPSG:4326"
    )
    frame = pd.read_csv(csv_path)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    joined = gpd.sjoin(points, polygons, how="left", predicate="within")
    joined["month"] = pd.to_datetime(joined["time"]).dt.to_period("M")
    counts = joined.groupby(["code", "category", "month"]).size()
    return {"seconds": time.perf_counter() - started, "groups": int(len(counts))}


def step_copy(csv_path: str) -> dict:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{BENCH_DB}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute("CREATE TABLE bench_copy (time timestamp, category text, lat float8, lon float8)")
        started = time.perf_counter()
        sql = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, open(csv_path, "rb") as handle, cursor.copy(sql) as copy:
            while block := handle.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        rows = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]
        conn.execute("DROP TABLE bench_copy")
    return {"seconds": seconds, "rows": rows}


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safercities.settings")
    import django

    django.setup()


def step_setup(areas_path: str) -> dict:
    """Migrate the database named by DATABASE_URL and create the city, its areas and populations."""
    _django()
    from django.core.management import call_command

    from safercities.places.actions import create_city
    from safercities.places.models import Area, AreaPopulation, City

    call_command("migrate", verbosity=0)
    City.objects.filter(slug="bench").delete()
    city = create_city(slug="bench", name="Bench City", country="MX", timezone="America/Mexico_City")
    areas = json.loads(Path(areas_path).read_text())
    objects = []
    for a in areas:
        ring = a["geometry"]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        objects.append(
            Area(
                city=city,
                code=a["code"],
                name=a["code"],
                geometry=a["geometry"],
                area_km2=a["km2"],
                min_lon=min(xs),
                max_lon=max(xs),
                min_lat=min(ys),
                max_lat=max(ys),
                centroid_lon=sum(xs[:-1]) / 4,
                centroid_lat=sum(ys[:-1]) / 4,
            )
        )
    Area.objects.bulk_create(objects, batch_size=500)
    ids = dict(Area.objects.filter(city=city).values_list("code", "id"))
    AreaPopulation.objects.bulk_create(
        [AreaPopulation(area_id=ids[a["code"]], year=2023, population=a["population"]) for a in areas], batch_size=500
    )
    return {"areas": len(areas)}


def step_import(csv_path: str) -> dict:
    _django()
    from safercities.incidents.importers import import_incidents
    from safercities.places.models import City

    city = City.objects.get(slug="bench")
    started = time.perf_counter()
    report = import_incidents(city, csv_path)
    seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"import rejected: {report.errors[:5]}")
    return {
        "seconds": seconds,
        "created": report.created,
        "unchanged": report.unchanged,
        "unassigned": report.unassigned,
        "notes": report.notes,
    }


STEPS = {"analyst": step_analyst, "copy": step_copy, "setup": step_setup, "import": step_import}


# ------------------------------------------------------------------------------------------------ parent


def run_child(step: str, *args: str, env: dict | None = None) -> dict:
    """Run one step in a fresh interpreter; return its JSON result plus its own wall time and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--step", step, *args],
        stdout=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    output = process.stdout.read() if process.stdout else b""
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"step {step} failed with status {status}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["process_seconds"] = wall
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def recreate_bench_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", default="/tmp/sc_bench_incidents")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step:
        print(json.dumps(STEPS[options.step](*options.args)))
        return

    workdir = Path(options.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    areas_path, csv_path = generate(workdir, options.rows)
    print(
        f"generated {options.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s"
    )
    common = {"SECRET_KEY": "bench-only", "DEBUG": "false", "TESTING": "false", "LOG_LEVEL": "WARNING"}
    sqlite_db = workdir / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_db}{suffix}").unlink(missing_ok=True)
    sqlite_env = {**common, "DATABASE_URL": f"sqlite:///{sqlite_db}", "DATA_DIR": str(workdir)}
    pg_env = {**common, "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}", "DATA_DIR": str(workdir)}

    results = {"load_before": os.getloadavg()}
    results["a"] = run_child("analyst", str(csv_path), str(areas_path))
    print("a", results["a"])
    recreate_bench_database()
    results["b"] = run_child("copy", str(csv_path))
    print("b", results["b"])
    run_child("setup", str(areas_path), env=sqlite_env)
    results["c"] = run_child("import", str(csv_path), env=sqlite_env)
    print("c", results["c"])
    run_child("setup", str(areas_path), env=pg_env)
    results["d"] = run_child("import", str(csv_path), env=pg_env)
    print("d", results["d"])
    results["d2"] = run_child("import", str(csv_path), env=pg_env)  # re-import: everything unchanged
    print("d2", results["d2"])

    results["load_after"] = os.getloadavg()
    table = render(results, options.rows)
    print()
    print(table)
    if options.write_docs:
        write_docs(table)


def render(results: dict, rows: int) -> str:
    labels = {
        "a": "(a) analyst: pandas + GeoPandas sjoin + groupby",
        "b": "(b) PostgreSQL COPY into a bare table (floor)",
        "c": "(c) `import_incidents`, SQLite",
        "d": "(d) `import_incidents`, PostgreSQL",
        "d2": "(d′) re-import of the same file, PostgreSQL (all unchanged)",
    }
    lines = [
        "| run | work (s) | process wall (s) | peak RSS (MB) |",
        "|---|---:|---:|---:|",
    ]
    for key, label in labels.items():
        r = results[key]
        lines.append(f"| {label} | {r['seconds']:.1f} | {r['process_seconds']:.1f} | {r['peak_rss_mb']:.0f} |")
    a, b, c, d = (results[k]["seconds"] for k in "abcd")
    worst_rss = max(results["c"]["peak_rss_mb"], results["d"]["peak_rss_mb"])
    lines += [
        "",
        f"- Rows: {rows:,}; unassigned (outside every area): {results['d']['unassigned']:,}; "
        f"created {results['d']['created']:,} on PostgreSQL, re-import unchanged {results['d2']['unchanged']:,}.",
        f"- Targets: ≤ 30 s — SQLite {c:.1f} s {'met' if c <= 30 else 'MISSED'}, PostgreSQL {d:.1f} s "
        f"{'met' if d <= 30 else 'MISSED'}; ≤ 1.5 GB — peak {worst_rss:.0f} MB "
        f"{'met' if worst_rss <= 1536 else 'MISSED'}; "
        f"faster than (a) {a:.1f} s — {'met' if max(c, d) < a else 'MISSED'}; within 4× of COPY ({4 * b:.1f} s) — "
        f"PostgreSQL {d / b:.1f}× {'met' if d <= 4 * b else 'MISSED'}.",
        f"- Machine: {os.cpu_count()} cores, Python {platform.python_version()}; load average (1/5/15 min) "
        f"{'/'.join(f'{x:.1f}' for x in results['load_before'])} before and "
        f"{'/'.join(f'{x:.1f}' for x in results['load_after'])} after the run (other jobs share the machine: "
        "every figure is inflated by as much); work = time inside the process for the job itself; process "
        "wall adds interpreter and Django start-up.",
    ]
    return "\n".join(lines)


HEADING = "## Incident import (1,000,000 rows, 2,000 areas)"
EXPLANATION = """\
How the import gets there (details in docs/import-incidents.md): the CSV is read with pandas' C parser in
chunks, all cells as text, and every check is an array operation (the csv module re-reads only files with
ragged rows, huge fields or broken quotes); times go through one strict ISO format taken from the first
value, in C, and only what it leaves through the general readers; points go to areas with shapely's
`intersects_xy` after a bounding-box prefilter; rows are sorted by time and staged with one binary `COPY`
of compact fixed-width columns built by numpy (PostgreSQL) or `executemany` straight into the table when
the city has no incident yet (SQLite); a first import is a plain `INSERT … SELECT`, later ones an
`UPDATE … FROM` for changed rows plus an anti-join `INSERT`; the monthly aggregation is one `GROUP BY`
on the stored local `month`. On the table side `Incident` went from 8 indexes to 4 (primary key,
unique (city, fingerprint), (city, category, occurred_at), (area, occurred_at)) and its three foreign keys
are no longer checked row by row at commit (`db_constraint=False`; the importer takes the same
`FOR KEY SHARE` locks once per referenced row, and Django still applies `on_delete`). Those per-row FK
checks alone took 38 s of a 137 s profiled PostgreSQL run (load average 6) before the change.

What stays out of reach: "faster than (a)" — (a) only counts in memory and writes nothing, while the
import writes 1M rows into an indexed, logged table (the index maintenance of the `INSERT` is most of the
PostgreSQL time and does not shrink without dropping indexes, which readers need); "within 4× of (b)" —
(b) copies into a table with no index at all."""


def write_docs(table: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\nFigures measured on the project's machines.\n"
    command = "```\n.venv/bin/python bench/bench_import_incidents.py --write-docs\n```"
    section = f"{HEADING}\n\nMeasured {time.strftime('%Y-%m-%d')} with\n\n{command}\n\n{table}\n\n{EXPLANATION}\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    main()
