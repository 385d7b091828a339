"""Exports in the formats users exchange: CSV (plain or with an HXL hashtag row), XLSX, GeoJSON, JSON.

An observations export has exactly the import columns, so it imports back unchanged. Incidents are
exported as raw rows only on request (``full=True``, for staff); otherwise as h3 cells masked by the
city's disclosure rules, like every other public channel.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from safercities.ingest.cells import csv_writer, safe_cell
from safercities.places.models import City

OBSERVATION_COLUMNS = [
    ("indicator", "#indicator+code"),
    ("area", "#adm+code"),
    ("period", "#date+period"),
    ("value", "#indicator+value+num"),
    ("sex", "#meta+sex"),
    ("age_group", "#meta+age"),
    ("disability", "#meta+disability"),
    ("numerator", "#indicator+num+numerator"),
    ("denominator", "#indicator+num+denominator"),
    ("quality", "#meta+quality"),
    ("source", "#meta+source"),
]
AREA_COLUMNS = [
    ("code", "#adm+code"),
    ("name", "#adm+name"),
    ("level", "#adm+level"),
    ("parent", "#adm+code+parent"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("area_km2", "#meta+area_km2"),
    ("population", "#population+total"),
    ("population_year", "#date+year+population"),
]
ALERT_COLUMNS = [
    ("id", "#meta+id"),
    ("indicator", "#indicator+code"),
    ("area", "#adm+code"),
    ("period", "#date+period"),
    ("kind", "#meta+kind"),
    ("severity", "#severity"),
    ("observed", "#indicator+value+observed"),
    ("expected", "#indicator+value+expected"),
    ("upper", "#indicator+value+upper"),
    ("status", "#status"),
    ("explanation", "#description"),
]
INCIDENT_COLUMNS = [
    ("id", "#meta+id"),
    ("time", "#date+occurred"),
    ("category", "#event+type"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("area", "#adm+code"),
    ("h3", "#geo+h3"),
    ("source", "#meta+source"),
]


def _format_value(value: Any) -> Any:
    """A cell as written to a file (blank for None, 3.0 as 3); text is not escaped here: see ``_data_cell``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _data_cell(value: Any) -> Any:
    """A data cell of a CSV or XLSX export, safe to open in a spreadsheet (``ingest.cells``)."""
    return safe_cell(_format_value(value))


def observation_rows(city: City, *, indicator: str | None = None, period: str | None = None) -> Iterator[dict]:
    from safercities.indicators.models import Observation

    queryset = Observation.objects.filter(city=city).order_by("indicator__code", "area__code", "period_start", "id")
    if indicator:
        queryset = queryset.filter(indicator__code=indicator)
    if period:
        queryset = queryset.filter(period=period)
    for row in queryset.values(
        "indicator__code",
        "area__code",
        "period",
        "value",
        "sex",
        "age_group",
        "disability",
        "numerator",
        "denominator",
        "quality",
        "source",
    ).iterator(chunk_size=5000):
        yield {
            "indicator": row["indicator__code"],
            "area": row["area__code"],
            "period": row["period"],
            "value": row["value"],
            "sex": row["sex"],
            "age_group": row["age_group"],
            "disability": row["disability"],
            "numerator": row["numerator"],
            "denominator": row["denominator"],
            "quality": row["quality"],
            "source": row["source"],
        }


def area_rows(city: City) -> Iterator[dict]:
    from safercities.places.models import Area, AreaPopulation

    latest: dict[int, tuple[int, int]] = {}
    for pop in AreaPopulation.objects.filter(area__city=city, sex="", age_group="").order_by("year"):
        latest[pop.area_id] = (pop.population, pop.year)
    for area in Area.objects.filter(city=city).select_related("parent").order_by("level", "code"):
        population, year = latest.get(area.pk, (None, None))
        yield {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent": area.parent.code if area.parent else "",
            "lat": area.centroid_lat,
            "lon": area.centroid_lon,
            "area_km2": area.area_km2,
            "population": population,
            "population_year": year,
            "_geometry": area.geometry,
        }


def alert_rows(city: City, *, since: str | None = None) -> Iterator[dict]:
    from safercities.analytics.periods import parse_period
    from safercities.monitoring.models import Alert

    queryset = Alert.objects.filter(city=city).select_related("indicator", "area").order_by("-created_at", "id")
    since_start = parse_period(since).start if since else None
    for alert in queryset:
        if since_start is not None and parse_period(alert.period).end < since_start:
            continue
        yield {
            "id": alert.pk,
            "indicator": alert.indicator.code,
            "area": alert.area.code,
            "period": alert.period,
            "kind": alert.kind,
            "severity": alert.severity,
            "observed": alert.observed,
            "expected": alert.expected,
            "upper": alert.upper,
            "explanation": alert.explanation,
            "status": alert.status,
        }


def incident_rows(city: City, *, period: str | None = None) -> Iterator[dict]:
    from safercities.incidents.models import Incident

    queryset = Incident.objects.filter(city=city).order_by("occurred_at", "id")
    if period:
        from safercities.analytics.periods import parse_period

        p = parse_period(period)
        queryset = queryset.filter(occurred_at__date__gte=p.start, occurred_at__date__lte=p.end)
    for row in queryset.values(
        "external_id", "fingerprint", "occurred_at", "category", "lat", "lon", "area__code", "h3_cell", "source"
    ).iterator(chunk_size=5000):
        yield {
            "id": row["external_id"] or row["fingerprint"][:16],
            "time": row["occurred_at"].isoformat(),
            "category": row["category"],
            "lat": row["lat"],
            "lon": row["lon"],
            "area": row["area__code"] or "",
            "h3": row["h3_cell"],
            "source": row["source"],
        }


def masked_incident_features(city: City, *, period: str | None = None) -> dict:
    """Public incidents: counts per h3 cell, coarsened per the disclosure rules, sensitive ones coarser."""
    from safercities.analytics import disclosure
    from safercities.incidents.models import IncidentCategory

    sensitive = set(IncidentCategory.objects.filter(city=city, sensitive=True).values_list("code", flat=True))
    groups: dict[tuple[str, bool], tuple[list[float], list[float]]] = {}
    for row in incident_rows(city, period=period):
        if row["lat"] is None or row["lon"] is None:
            continue
        key = (row["category"], row["category"] in sensitive)
        lats, lons = groups.setdefault(key, ([], []))
        lats.append(row["lat"])
        lons.append(row["lon"])
    features: list[dict] = []
    withheld = 0
    for (category, is_sensitive), (lats, lons) in sorted(groups.items()):
        result = disclosure.mask_points(
            lats,
            lons,
            resolution=disclosure.SENSITIVE_RESOLUTION if is_sensitive else disclosure.DEFAULT_RESOLUTION,
            threshold=disclosure.SENSITIVE_THRESHOLD if is_sensitive else disclosure.DEFAULT_THRESHOLD,
        )
        withheld += result.withheld
        for feature in result.as_features():
            feature["properties"]["category"] = category
            features.append(feature)
    return {"type": "FeatureCollection", "features": features, "withheld": withheld}


def write_table(rows: Iterable[dict], columns: list[tuple[str, str]], fmt: str, out: io.TextIOBase | Any) -> int:
    """Write rows as csv/hxl to a text stream; return the number of rows."""
    writer = csv_writer(out)
    writer.writerow([name for name, _tag in columns])
    if fmt == "hxl":
        writer.writerow([tag for _name, tag in columns])
    count = 0
    for row in rows:
        writer.writerow([_data_cell(row.get(name)) for name, _tag in columns])
        count += 1
    return count


def write_xlsx(rows: Iterable[dict], columns: list[tuple[str, str]], path: str) -> int:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append([name for name, _tag in columns])
    sheet.append([tag for _name, tag in columns])
    count = 0
    for row in rows:
        sheet.append([_data_cell(row.get(name)) for name, _tag in columns])
        count += 1
    workbook.save(path)
    return count


def area_geojson(city: City) -> dict:
    features = []
    for row in area_rows(city):
        geometry = row.pop("_geometry")
        features.append({"type": "Feature", "geometry": geometry, "properties": row})
    return {"type": "FeatureCollection", "features": features}


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)
