"""Insert many new result rows without the ORM's per-object SQL building.

``bulk_create`` of the 10,200 index results of a 2,000-area city cost ~2 s on PostgreSQL, most of it
Django compiling one placeholder group per object and psycopg quoting every value client-side. Here
each value is prepared by its field exactly as ``bulk_create`` prepares it (``pre_save`` then
``get_db_prep_save``), and the rows go to PostgreSQL through one ``COPY … FROM STDIN`` and to other
databases through one ``executemany`` — the same stored values (tested against ``bulk_create``).
The objects get no primary key back (callers only count them).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> int:
    """INSERT ``objs`` (new, unsaved instances of ``model``) in one statement stream; returns the count."""
    if not objs:
        return 0
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: ``connection`` is a proxy costing a lookup per use
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    rows = [tuple(field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields) for obj in objs]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    return len(rows)


def analyze(*models_: type[models.Model]) -> None:
    """``ANALYZE`` the tables of ``models_`` on PostgreSQL (a no-op elsewhere).

    The servers run with autovacuum off, so a table just rewritten in bulk keeps the planner statistics
    of its previous contents (or none) until someone analyses it; the portal's reads of these results
    are planned for the wrong row counts until then (docs/benchmarks.md, "Portal under load").
    """
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return
    with db.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {db.ops.quote_name(model._meta.db_table)}")
