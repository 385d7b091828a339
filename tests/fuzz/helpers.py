"""What every fuzz test checks after a hostile input: no crash, nothing half-written, a reason."""

from __future__ import annotations

from typing import Any

from safercities.incidents.models import Incident
from safercities.indicators.models import Indicator, Observation
from safercities.ingest.models import ImportRun
from safercities.places.models import Area, AreaPopulation

KINDS = ["areas", "population", "indicators", "observations", "incidents"]
TABLES = {
    "areas": Area,
    "population": AreaPopulation,
    "indicators": Indicator,
    "observations": Observation,
    "incidents": Incident,
}


def row_counts() -> dict[str, int]:
    """Every importer table's row count, in one query (this runs thousands of times)."""
    from django.db import connection

    tables = [model._meta.db_table for model in TABLES.values()]
    select = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}")  # noqa: S608 — table names from the models
        counts = cursor.fetchone()
    return dict(zip(TABLES, (int(c) for c in counts), strict=True))


def check_errors(errors: list[dict[str, Any]], where: str) -> None:
    """A rejection names a row (0 = the file), a field and a reason for every problem."""
    assert errors, f"{where}: rejected without a reason"
    for error in errors:
        assert isinstance(error["row"], int) and error["row"] >= 0, (where, error)
        assert isinstance(error["field"], str) and error["field"], (where, error)
        assert isinstance(error["message"], str) and error["message"].strip(), (where, error)


def check_outcome(kind: str, before: dict[str, int], after: dict[str, int], *, ok: bool, created: int, where: str):
    """Rejected: every table as it was. Accepted: only the kind's own table grew, by what was reported."""
    if not ok:
        assert after == before, f"{where}: a rejected import changed rows {before} → {after}"
        return
    others = {k: v for k, v in after.items() if k != kind and not (kind == "areas" and k == "population")}
    assert others == {k: v for k, v in before.items() if k in others}, f"{where}: other tables changed"
    assert after[kind] - before[kind] == created, f"{where}: {after[kind] - before[kind]} rows for {created} created"


def latest_run() -> ImportRun:
    return ImportRun.objects.order_by("-pk").first()
