"""Load benchmark: the public portal on PostgreSQL under concurrent clients (not a test; run by hand).

    .venv/bin/python bench/load.py                      # everything, ≈ 20 minutes
    .venv/bin/python bench/load.py --quick              # every run 15 s, to try it out
    .venv/bin/python bench/load.py --runs public --paths /en/ /api/v1/cities/ --clients 50 --duration 300

What it does, on loopback only (127.0.0.1), every loop bounded by a deadline and a request cap:

1. creates the throwaway PostgreSQL database ``sc_bench_load`` and fills it the way an operator would,
   each step a child process with ``DATABASE_URL`` set: ``manage.py migrate``, ``manage.py demo``,
   ``manage.py compute --city demo``, then ``ANALYZE`` as autovacuum would (``--no-analyze`` skips it;
   ``--reuse-db`` skips the loading when the database exists);
2. serves it with gunicorn sync workers (``--workers 4``, a free port, ``DEBUG=false``), as
   docs/operations.md prescribes, and warms every worker up;
3. page weights: the city and area pages' HTML plus the stylesheet and scripts they link, raw and
   gzip-compressed (the project has no GZipMiddleware; the reverse proxy compresses, so the body is
   compressed here at gzip level 1 — nginx's default — and 9);
4. the runs, each N closed-loop clients (a client sends its next request when the previous one has
   answered; no think time) for T seconds, recording every request's latency, status and bytes:
   ``portal`` — the city page, the area page and map.json each alone, then the three mixed
   (20 clients × 2 min each: the portal issue); ``public`` — the public pages mixed (50 clients × 5 min:
   the trust issue; ``--paths`` replaces the mix, e.g. to add the API and the report form once they
   exist); ``ceiling`` — the same clients against ``bench/ceiling_wsgi.py``, the same settings and
   middleware with one view returning a constant, served by a second gunicorn;
5. prints one table per run (req/s, p50/p95/p99, max, errors, bytes) and writes every figure as JSON
   (``--out``); ``--profile PATH`` profiles one page in-process with pyinstrument (optional dependency);
6. stops every server it started and drops the database (unless ``--keep-db``).

``--tree DIR`` serves another copy of the project (e.g. ``git archive HEAD | tar -x -C DIR``) with this
virtualenv, to measure a committed state while the working tree is being edited.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = os.environ.get("BENCH_LOAD_DB", "sc_bench_load")  # --db replaces it
HOST = "127.0.0.1"  # loopback only: never point this at another address
CITY = "demo"
AREA = "N069"
PORTAL_PATHS = {
    "city": f"/en/cities/{CITY}/",
    "area": f"/en/cities/{CITY}/areas/{AREA}/",
    # map.json takes ?layer=&period=&level= (portal/layers.resolve); without them it serves the city page's
    # default map: the index, the latest year, the finest level.
    "map.json": f"/en/cities/{CITY}/map.json",
}
CACHE_URL = ""  # --cache-url
MAX_REQUESTS_PER_CLIENT = 1_000_000  # a second bound besides the deadline
REQUEST_TIMEOUT = 30.0


# ----------------------------------------------------------------------------------------------------
# Database and servers


def _postgres(sql: str, database: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True) as conn:
        conn.execute(sql)


def _database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def server_env(tree: Path, **extra: str) -> dict[str, str]:
    """The environment of every child: production-like settings, this database, the project on the path."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG_SERVER}/{BENCH_DB}",
        DEBUG="false",
        TESTING="false",
        SECRET_KEY="bench-load-" + "x" * 50,
        ALLOWED_HOSTS=HOST,
        SECURE_COOKIES="false",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="safercities.settings",
        PYTHONPATH=os.pathsep.join([str(tree), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    env.pop("CACHE_URL", None)
    if CACHE_URL:
        env["CACHE_URL"] = CACHE_URL
    env.update(extra)
    return env


def setup_database(tree: Path, reuse: bool, analyze: bool) -> dict[str, float]:
    """Create and fill ``sc_bench_load`` through the operator's commands; returns seconds per step.

    Then ``ANALYZE``: a freshly loaded database has no planner statistics until autovacuum gets to it
    (and autovacuum is off on some development servers); without them the portal's aggregate over the
    observations is planned for 1 row and took 150 ms instead of 40 ms here.
    """
    if reuse and _database_exists(BENCH_DB):
        print(f"reusing database {BENCH_DB} (migrating it to the served code)", flush=True)
        migrate = [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"]
        subprocess.run(migrate, cwd=tree, env=server_env(tree), check=True)
        if analyze:
            _postgres("ANALYZE", BENCH_DB)
        return {}
    _postgres(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _postgres(f"CREATE DATABASE {BENCH_DB}")
    seconds = {}
    for step in (["migrate", "--no-input", "-v", "0"], ["demo", "--city", CITY], ["compute", "--city", CITY]):
        started = time.monotonic()
        print(f"$ manage.py {' '.join(step)}", flush=True)
        subprocess.run([sys.executable, "manage.py", *step], cwd=tree, env=server_env(tree), check=True)
        seconds[step[0]] = round(time.monotonic() - started, 1)
    if analyze:
        print("$ psql -c ANALYZE", flush=True)
        _postgres("ANALYZE", BENCH_DB)
    return seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """One gunicorn we started (and must stop)."""

    process: subprocess.Popen
    port: int
    log: Path
    command: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the master and its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_gunicorn(tree: Path, app: str, workers: int, ready_path: str, env: dict[str, str]) -> Server:
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="bench-load-gunicorn-", suffix=".log")[1])
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [
        gunicorn,
        app,
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"{HOST}:{port}",
        "--timeout",
        "60",
        "--chdir",
        str(tree),
        "--pythonpath",
        f"{tree},{HERE}",
    ]
    process = subprocess.Popen(command, cwd=tree, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    server = Server(process, port, log, command)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            status, _, _ = fetch(port, ready_path)
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer 200 on {ready_path} within 60 s; see {log}")


# ----------------------------------------------------------------------------------------------------
# HTTP


def fetch(
    port: int,
    path: str,
    *,
    gzip_ok: bool = False,
    method: str = "GET",
    body: bytes | None = None,
    extra: dict[str, str] | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    """One request on a new connection (gunicorn's sync workers close every connection anyway)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Accept-Encoding": "gzip" if gzip_ok else "identity", "Connection": "close", **(extra or {})}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        cookies = "; ".join(v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie")
        headers_out = {k.lower(): v for k, v in response.getheaders()}
        headers_out["set-cookie"] = cookies
        return response.status, data, headers_out
    finally:
        conn.close()


POST_PREFIX = "POST "  # a path written "POST /en/reports/demo/new/" submits that form (see submit_form)


def submit_form(port: int, path: str, n: int) -> list[tuple[str, int, float, float, int]]:
    """A visitor filing the report form: GET it (session and CSRF cookies, token), then POST it.

    Returns two samples (label, status, started, latency, bytes); the POST succeeds with its redirect
    (302) to the tracking page. Fields: the first category and area the form offers, a description,
    anonymous, consent.
    """
    out = []
    started = time.monotonic()
    status, html, headers = fetch(port, path)
    out.append((path, status, started, time.monotonic() - started, len(html)))
    if status != 200:
        return out
    text = html.decode("utf-8", "replace")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    category = re.search(r'<select[^>]*name="category"[^>]*>.*?<option value="([^"]+)"', text, re.S)
    area = re.search(r'<select[^>]*name="area"[^>]*>.*?<option value="([^"]+)"', text, re.S)
    fields = {
        "csrfmiddlewaretoken": token.group(1) if token else "",
        "category": category.group(1) if category else "",
        "area": area.group(1) if area else "",
        "description": f"Load test report {n}: the street light at the corner has been out for a week.",
        "anonymous": "on",
        "consent": "on",
    }
    body = urllib.parse.urlencode(fields).encode()
    extra = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": headers.get("set-cookie", "")}
    started = time.monotonic()
    try:
        status, html, _ = fetch(port, path, method="POST", body=body, extra=extra)
    except (OSError, http.client.HTTPException):
        status, html = 0, b""
    out.append((POST_PREFIX + path, status, started, time.monotonic() - started, len(html)))
    return out


def ok(sample_path: str, status: int) -> bool:
    """200, or for a form's POST its redirect after success."""
    return status == 302 if sample_path.startswith(POST_PREFIX) else status == 200


@dataclass
class Sample:
    path: str
    started: float  # monotonic seconds
    latency: float  # seconds
    status: int  # 0 = no answer (refused, reset, timed out)
    size: int


def load(port: int, paths: list[str], clients: int, duration: float) -> tuple[list[Sample], float]:
    """Closed-loop clients for ``duration`` seconds; client i cycles through ``paths`` starting at i."""
    samples: list[list[Sample]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def client(index: int) -> None:
        mine = samples[index]
        barrier.wait()
        deadline = deadline_box[0]
        for n in range(MAX_REQUESTS_PER_CLIENT):
            started = time.monotonic()
            if started >= deadline:
                break
            path = paths[(index + n) % len(paths)]
            if path.startswith(POST_PREFIX):
                try:
                    pairs = submit_form(port, path[len(POST_PREFIX) :], n)
                except (OSError, http.client.HTTPException):
                    pairs = [(path, 0, started, time.monotonic() - started, 0)]
                mine.extend(Sample(label, begun, took, status, size) for label, status, begun, took, size in pairs)
                continue
            try:
                status, body, _ = fetch(port, path)
                size = len(body)
            except (OSError, http.client.HTTPException):
                status, size = 0, 0
            mine.append(Sample(path, started, time.monotonic() - started, status, size))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start = time.monotonic()
    deadline_box.append(start + duration)
    barrier.wait()
    for thread in threads:
        thread.join(timeout=duration + REQUEST_TIMEOUT + 30)
    flat = [s for per_client in samples for s in per_client]
    elapsed = max((s.started + s.latency for s in flat), default=start) - start
    return flat, elapsed


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was actually observed."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def summarise(samples: list[Sample], elapsed: float) -> dict[str, Any]:
    latencies = sorted(s.latency for s in samples)
    errors = [s for s in samples if not ok(s.path, s.status)]
    statuses: dict[str, int] = {}
    for s in errors:
        statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
    total_bytes = sum(s.size for s in samples)
    return {
        "requests": len(samples),
        "seconds": round(elapsed, 1),
        "rps": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else float("nan"),
        "errors": len(errors),
        "error_statuses": statuses,
        "bytes": total_bytes,
        "mean_body_kb": round(total_bytes / len(samples) / 1024, 1) if samples else 0.0,
    }


def run(name: str, port: int, paths: list[str], clients: int, duration: float) -> dict[str, Any]:
    print(f"\n--- {name}: {clients} clients × {duration:g} s on {', '.join(paths)}", flush=True)
    load_before = os.getloadavg()
    samples, elapsed = load(port, paths, clients, duration)
    result = {
        "name": name,
        "clients": clients,
        "duration": duration,
        "paths": paths,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "all": summarise(samples, elapsed),
    }
    labels = list(dict.fromkeys([*(p for p in paths if not p.startswith(POST_PREFIX)), *(s.path for s in samples)]))
    if len(labels) > 1:
        result["per_path"] = {p: summarise([s for s in samples if s.path == p], elapsed) for p in labels}
    print(table([result]), flush=True)
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| run | path | clients × s | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | KB/response |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows = [("all" if len(r["paths"]) > 1 else r["paths"][0], r["all"])]
        rows += list(r.get("per_path", {}).items())
        for path, s in rows:
            lines.append(
                f"| {r['name']} | `{path}` | {r['clients']} × {r['duration']:g} | {s['requests']:,} | {s['rps']} "
                f"| {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} | {s['errors']} "
                f"| {s['mean_body_kb']} |"
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------
# Page weight


def _static_file(tree: Path, url: str) -> Path | None:
    """Find a ``/static/…`` asset in the project's static folders (not served by gunicorn when DEBUG is off)."""
    relative = url.split("?")[0].split("/static/", 1)[-1]
    for folder in [tree / "safercities" / "static", *sorted(tree.glob("safercities/*/static"))]:
        if (folder / relative).is_file():
            return folder / relative
    return None


def page_weight(port: int, tree: Path, path: str) -> dict[str, Any]:
    status, html, headers = fetch(port, path, gzip_ok=True)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    served_gzip = headers.get("content-encoding") == "gzip"
    if served_gzip:
        html = gzip.decompress(html)
    text = html.decode("utf-8")
    assets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text)
    assets += re.findall(r'<script[^>]+src="([^"]+)"', text)
    assets += re.findall(r'<img[^>]+src="(/[^"]+)"', text)
    parts = [("html", html)]
    missing = []
    for url in dict.fromkeys(assets):
        found = _static_file(tree, url)
        if found is None:
            missing.append(url)
        else:
            parts.append((url, found.read_bytes()))

    def kb(n: int) -> float:
        return round(n / 1024, 1)

    rows = {
        name: {"raw_kb": kb(len(b)), "gzip1_kb": kb(len(gzip.compress(b, 1))), "gzip9_kb": kb(len(gzip.compress(b, 9)))}
        for name, b in parts
    }
    total = {k: round(sum(r[k] for r in rows.values()), 1) for k in ("raw_kb", "gzip1_kb", "gzip9_kb")}
    return {"path": path, "server_compressed": served_gzip, "parts": rows, "total": total, "missing": missing}


# ----------------------------------------------------------------------------------------------------
# Profile

PROFILE_CODE = """
import sys, django
django.setup()
from django.test import Client
from pyinstrument import Profiler
path, repeat = sys.argv[1], int(sys.argv[2])
client = Client()
assert client.get(path).status_code == 200  # warm: imports, connection, caches
profiler = Profiler(interval=0.0005)
profiler.start()
for _ in range(repeat):
    client.get(path)
profiler.stop()
print(profiler.output_text(unicode=True, color=False, show_all=False))
"""


def profile(tree: Path, path: str, repeat: int) -> str:
    env = server_env(tree, ALLOWED_HOSTS=f"{HOST},testserver")
    done = subprocess.run(
        [sys.executable, "-c", PROFILE_CODE, path, str(repeat)],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


# ----------------------------------------------------------------------------------------------------


REPORT_FORM = f"/en/reports/{CITY}/new/"
API_PATHS = [f"/api/v1/cities/{CITY}/index", f"/api/v1/cities/{CITY}/areas", f"/api/v1/cities/{CITY}/alerts"]


def public_paths(port: int) -> list[str]:
    """The trust issue's mix: home, city, area, an indicator, network, methodology, map.json, and the public
    API's index, areas and alerts."""
    _, html, _ = fetch(port, PORTAL_PATHS["city"])
    indicator = re.search(rf'href="(/en/cities/{CITY}/indicators/[^/"]+/)"', html.decode())
    paths = ["/en/", PORTAL_PATHS["city"], PORTAL_PATHS["area"]]
    if indicator:
        paths.append(indicator.group(1))
    paths += ["/en/network/", "/en/methodology/", PORTAL_PATHS["map.json"], *API_PATHS]
    if fetch(port, REPORT_FORM)[0] == 200:
        paths.append(POST_PREFIX + REPORT_FORM)  # GET the form, then POST it with its CSRF token
    return paths


def main(argv: list[str] | None = None) -> int:
    global BENCH_DB, CACHE_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", nargs="+", choices=["portal", "public", "ceiling"], default=["portal", "public", "ceiling"]
    )
    parser.add_argument("--quick", action="store_true", help="every run 15 s (trying the script out)")
    parser.add_argument("--portal-clients", type=int, default=20)
    parser.add_argument("--portal-duration", type=float, default=120.0)
    parser.add_argument("--clients", type=int, default=50, help="clients of the public and ceiling runs")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of the public and ceiling runs")
    parser.add_argument("--paths", nargs="+", help="URL paths of the public run (default: the public pages)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the project copy to serve (default: this one)")
    parser.add_argument("--reuse-db", action="store_true", help="keep an existing sc_bench_load as it is")
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after loading (stale statistics)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop sc_bench_load at the end")
    parser.add_argument("--profile", metavar="PATH", help="also profile this page in-process (needs pyinstrument)")
    parser.add_argument("--profile-repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, help="write every figure as JSON here")
    parser.add_argument("--db", default=BENCH_DB, help="name of the throwaway PostgreSQL database")
    parser.add_argument(
        "--cache-url",
        default="",
        help="CACHE_URL of the served site, e.g. redis://127.0.0.1:6379/6 (default: none, per-process memory)",
    )
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db):
        parser.error("--db must be a plain lower-case PostgreSQL name")
    BENCH_DB, CACHE_URL = args.db, args.cache_url
    for value in (args.portal_clients, args.clients, args.workers):
        if not 1 <= value <= 500:
            parser.error("clients and workers must be between 1 and 500")
    if args.quick:
        args.portal_duration = args.duration = 15.0
    if not 1 <= args.portal_duration <= 1800 or not 1 <= args.duration <= 1800:
        parser.error("durations must be between 1 and 1800 seconds")
    tree = args.tree.resolve()

    report: dict[str, Any] = {
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        },
        "tree": str(tree),
        "workers": args.workers,
        "results": [],
    }
    servers: list[Server] = []
    try:
        report["setup_seconds"] = setup_database(tree, args.reuse_db, not args.no_analyze)
        if {"portal", "public"} & set(args.runs) or args.profile:
            site_env = server_env(tree, DJANGO_SETTINGS_MODULE="load_settings")
            portal = start_gunicorn(tree, "safercities.wsgi:application", args.workers, "/health", site_env)
            servers.append(portal)
            report["gunicorn"] = " ".join(portal.command)
            paths = args.paths or public_paths(portal.port)
            for path in dict.fromkeys([*PORTAL_PATHS.values(), *paths]):  # warm every worker, check every path
                for _ in range(args.workers * 2):
                    if path.startswith(POST_PREFIX):
                        status = submit_form(portal.port, path[len(POST_PREFIX) :], 0)[-1][1]
                        expected = 302
                    else:
                        status, _, _ = fetch(portal.port, path)
                        expected = 200
                    if status != expected:
                        raise RuntimeError(f"{path} answered {status} before the run")
            report["page_weight"] = [page_weight(portal.port, tree, PORTAL_PATHS[p]) for p in ("city", "area")]
            for weight in report["page_weight"]:
                print(f"page weight {weight['path']}: {weight['total']} (parts {weight['parts']})", flush=True)
            if "portal" in args.runs:
                for name, path in PORTAL_PATHS.items():
                    report["results"].append(
                        run(f"portal {name}", portal.port, [path], args.portal_clients, args.portal_duration)
                    )
                mixed = list(PORTAL_PATHS.values())
                report["results"].append(
                    run("portal mixed", portal.port, mixed, args.portal_clients, args.portal_duration)
                )
            if "public" in args.runs:
                report["results"].append(run("public pages", portal.port, paths, args.clients, args.duration))
            portal.stop()
        if "ceiling" in args.runs:
            env = server_env(tree, DJANGO_SETTINGS_MODULE="ceiling_wsgi")
            ceiling = start_gunicorn(tree, "ceiling_wsgi:application", args.workers, "/ceiling", env)
            servers.append(ceiling)
            # The shape of each run asked for, so that each table has its ceiling.
            shapes = [(args.portal_clients, args.portal_duration)] if "portal" in args.runs else []
            if "public" in args.runs or not shapes:
                shapes.append((args.clients, args.duration))
            for clients, duration in dict.fromkeys(shapes):
                report["results"].append(run("ceiling (constant view)", ceiling.port, ["/ceiling"], clients, duration))
            ceiling.stop()
        if args.profile:
            print(f"\n--- profile of {args.profile} ({args.profile_repeat} requests, in-process)", flush=True)
            report["profile"] = profile(tree, args.profile, args.profile_repeat)
            print(report["profile"], flush=True)
    finally:
        for server in servers:
            server.stop()
        if not args.keep_db:
            _postgres(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        if args.out:
            args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print("\n" + table(report["results"]))
    print(f"\nmachine: {report['machine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
