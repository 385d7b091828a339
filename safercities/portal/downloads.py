"""Downloads of everything the portal publishes: CSV (with an HXL hashtag row), XLSX, GeoJSON and JSON.

A download is another channel of the same pages (DESIGN: "the same masking on every channel"), so
every number goes through the portal's own disclosure code in :mod:`safercities.portal.queries` —
never a second, weaker path:

- ``observations``: yearly figures (the annual observation, else months/quarters summed or averaged,
  as on the pages) of public indicators, the totals and the one-at-a-time breakdowns by sex, age group
  and disability the pages show (no cross-tabulations). A cell is withheld when either page that
  shows it withholds it: the map (areas of one level in one year, secondary suppression across them)
  or the area profile (one area's series). Withheld cells are blank with ``suppressed=true``.
  Numerators and denominators are left out: with the city total published, the numerators of the
  other areas would give a withheld one away by subtraction. The columns are the import columns, so
  the file imports back (``--filter 'suppressed!=true'`` leaves out the blank cells).
- ``index``: scores, ranks, rank intervals and dimension scores (not counts: nothing to suppress).
- ``areas``: codes, names, levels, population and boundaries.
- ``alerts``: open alerts on public indicators, observed and expected counts protected, without the
  free-text explanation (which may quote small counts).
- ``incidents``: counts per h3 cell after masking (``ingest.exports.masked_incident_features``):
  cells under ``k`` rolled up or withheld, sensitive categories at resolution 7 with ``k = 10``.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from safercities.analytics.periods import parse_period
from safercities.indicators.models import DIMENSION_CODES, Observation
from safercities.ingest import exports
from safercities.ingest.cells import csv_writer, safe_cell
from safercities.monitoring.models import Alert
from safercities.places.models import Area, City
from safercities.portal import layers, queries

SUPPRESSED = ("suppressed", "#meta+suppressed")
OBSERVATION_COLUMNS = [*exports.OBSERVATION_COLUMNS, SUPPRESSED]
INDEX_COLUMNS = [
    ("area", "#adm+code"),
    ("name", "#adm+name"),
    ("level", "#adm+level"),
    ("period", "#date+year"),
    ("score", "#indicator+index+score"),
    ("rank", "#indicator+index+rank"),
    ("rank_low", "#indicator+index+rank+low"),
    ("rank_high", "#indicator+index+rank+high"),
    *[(code, f"#indicator+index+score+{code}") for code in DIMENSION_CODES],
]
# The page does not show an alert's free-text explanation nor its upper threshold.
ALERT_COLUMNS = [column for column in exports.ALERT_COLUMNS if column[0] not in {"explanation", "upper"}] + [SUPPRESSED]
INCIDENT_COLUMNS = [
    ("h3", "#geo+h3"),
    ("resolution", "#geo+h3+resolution"),
    ("lat", "#geo+lat+centre"),
    ("lon", "#geo+lon+centre"),
    ("category", "#event+type"),
    ("count", "#affected+num+events"),
]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Dataset:
    """What one download holds: its columns, its rows and (where geometry applies) its features."""

    name: str
    columns: list[tuple[str, str]]
    rows: Callable[[], Iterable[dict[str, Any]]]
    features: Callable[[], dict[str, Any]] | None = None
    suffix: str = ""
    extra: dict[str, Any] | None = None


# --- observations ---------------------------------------------------------------------------------


def _rounded(value: float | None) -> float | int | None:
    if value is None:
        return None
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def _metadata(indicator_ids: list[int]) -> dict[tuple[int, int, int], tuple[str, str]]:
    """(indicator, area, year) → (quality, source) of the totals; mixed qualities read "estimated"."""
    seen: dict[tuple[int, int, int], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    rows = (
        Observation.objects.filter(indicator__in=indicator_ids, sex="", age_group="", disability="")
        .order_by()
        .values_list("indicator_id", "area_id", "period_start__year", "quality", "source")
        .distinct()
    )
    for indicator_id, area_id, year, quality, source in rows:
        qualities, sources = seen[(indicator_id, area_id, year)]
        qualities.add(quality)
        if source:
            sources.add(source)
    return {
        key: (
            next(iter(qualities)) if len(qualities) == 1 else Observation.ESTIMATED,
            "; ".join(sorted(sources))[:255],
        )
        for key, (qualities, sources) in seen.items()
    }


def observation_rows(city: City, *, indicator_code: str | None = None, year: int | None = None) -> Iterator[dict]:
    """Public yearly figures, protected exactly as the map and the area profile protect them."""
    indicators = list(queries.public_indicators(city).order_by("code"))
    if indicator_code:
        indicators = [queries.public_indicator(city, indicator_code)]
    sensitive = queries.sensitive_categories(city)
    thresholds = {indicator.pk: queries.threshold_for(indicator, sensitive) for indicator in indicators}
    areas = {area.pk: area for area in Area.objects.filter(city=city)}
    meta = _metadata([indicator.pk for indicator in indicators])
    withheld_totals: set[tuple[int, int, int]] = set()
    for indicator in indicators:
        k = thresholds[indicator.pk]
        raw = queries.series(indicator, list(areas))
        by_table: dict[tuple[str, int], dict[int, tuple]] = defaultdict(dict)  # the map: one level, one year
        by_area: dict[int, dict[int, tuple]] = defaultdict(dict)  # the area profile: one area's series
        for (area_id, y), pair in raw.items():
            by_table[(areas[area_id].level, y)][area_id] = pair
            by_area[area_id][y] = pair
        published: dict[tuple[int, int], queries.Value] = {}
        for (_level, y), group in by_table.items():
            for area_id, value in queries.protect(indicator, group, k).items():
                published[(area_id, y)] = value
        for area_id, group in by_area.items():
            for y, value in queries.protect(indicator, group, k).items():
                if value.withheld:
                    published[(area_id, y)] = value
        for area_id, y in sorted(published, key=lambda key: (areas[key[0]].code, key[1])):
            if year is not None and y != year:
                continue
            value = published[(area_id, y)]
            if value.withheld:
                withheld_totals.add((indicator.pk, area_id, y))
            if value.value is None and not value.withheld:
                continue
            quality, source = meta.get((indicator.pk, area_id, y), (Observation.OFFICIAL, ""))
            yield _observation(indicator.code, areas[area_id].code, y, value, quality=quality, source=source)
    # Breakdowns after all totals: the first bytes of a streamed file go out before they are computed.
    breakdowns = _breakdowns(indicators, areas, thresholds, year, withheld_totals)
    for indicator in indicators:
        yield from breakdowns.get(indicator.pk, [])


def _breakdowns(
    indicators: list,
    areas: dict[int, Area],
    thresholds: dict[int, int],
    year: int | None,
    withheld_totals: set[tuple[int, int, int]],
) -> dict[int, list[dict]]:
    """Indicator id → rows of the one-at-a-time breakdowns per area and year.

    Built with the pages' own ``queries.disaggregations`` for one area at a time (one query per area
    and year for all indicators), so each breakdown is protected as the area profile protects it.
    Where the total is withheld, its breakdowns are withheld whole: they would add up to it.
    """
    wanted: dict[int, set[int]] = defaultdict(set)
    rows = (
        Observation.objects.filter(indicator__in=[i.pk for i in indicators])
        .exclude(sex="", age_group="", disability="")
        .order_by()
        .values_list("area_id", "period_start__year")
        .distinct()
    )
    for area_id, y in rows:
        if year is None or y == year:
            wanted[area_id].add(y)
    out: dict[int, list[dict]] = defaultdict(list)
    codes = {indicator.pk: indicator.code for indicator in indicators}
    for area_id in sorted(wanted, key=lambda pk: areas[pk].code):
        for y in sorted(wanted[area_id]):
            for indicator_id, tables in queries.disaggregations(indicators, [area_id], y, thresholds).items():
                for table in tables:
                    for category, value in table["rows"]:
                        if value.value is None and not value.withheld:
                            continue
                        if (indicator_id, area_id, y) in withheld_totals and not value.withheld:
                            value = queries.Value(None, withheld=True, threshold=value.threshold)
                        out[indicator_id].append(
                            _observation(
                                codes[indicator_id], areas[area_id].code, y, value, **{table["field"]: category}
                            )
                        )
    return out


def _observation(indicator: str, area: str, year: int, value: queries.Value, **fields: Any) -> dict[str, Any]:
    return {
        "indicator": indicator,
        "area": area,
        "period": f"{year:04d}",
        "value": None if value.withheld else _rounded(value.value),
        "sex": fields.get("sex", ""),
        "age_group": fields.get("age_group", ""),
        "disability": fields.get("disability", ""),
        "numerator": None,
        "denominator": None,
        "quality": fields.get("quality", ""),
        "source": fields.get("source", ""),
        "suppressed": value.withheld,
    }


# --- index, areas, alerts, incidents --------------------------------------------------------------


def index_rows(city: City, params: Any) -> tuple[list[dict], dict[str, Any]]:
    """Scores of the city's published default index for one year and level (as on the city page)."""
    layer = layers.resolve(city, {"period": params.get("period"), "level": params.get("level")})
    if layer.definition is None or not layer.results:
        raise Http404("no published index for this year and level")
    # The page falls back to the latest year and the finest level; a file asked for by name must not.
    if params.get("period") and params.get("period") != str(layer.year):
        raise Http404("no index for this year")
    if params.get("level") and params.get("level") != layer.level:
        raise Http404("no index for this level")
    rows = []
    for result in layer.results:
        dims = result.dimensions or {}
        rows.append(
            {
                "area": result.area.code,
                "name": result.area.name,
                "level": result.level,
                "period": result.period,
                "score": _rounded(result.score),
                "rank": result.rank,
                "rank_low": result.rank_low,
                "rank_high": result.rank_high,
                **{code: _rounded(dims.get(code)) for code in DIMENSION_CODES},
                "_geometry": result.area.geometry,
            }
        )
    return rows, {"index": layer.definition.name, "period": layer.year, "level": layer.level}


def area_rows(city: City) -> list[dict]:
    return list(exports.area_rows(city))


def alert_rows(city: City) -> list[dict]:
    """The alerts the pages list (open, public indicators), protected by ``queries.public_alerts``."""
    out = []
    for item in queries.public_alerts(city, limit=None):
        alert: Alert = item["alert"]
        observed, expected = item["observed"], item["expected"]
        out.append(
            {
                "id": alert.pk,
                "indicator": alert.indicator.code,
                "area": alert.area.code,
                "period": alert.period,
                "kind": alert.kind,
                "severity": alert.severity,
                "observed": _rounded(observed.value),
                "expected": _rounded(expected.value),
                "status": alert.status,
                "suppressed": observed.withheld or expected.withheld,
            }
        )
    return out


def incident_features(city: City, params: Any) -> dict[str, Any]:
    period = params.get("period") or None
    if period:
        try:
            period = parse_period(period).code
        except ValueError:
            raise Http404("unknown period") from None
    return exports.masked_incident_features(city, period=period)


def incident_rows(collection: dict[str, Any]) -> list[dict]:
    import h3

    rows = []
    for feature in collection["features"]:
        props = feature["properties"]
        lat, lon = h3.cell_to_latlng(props["h3"])
        rows.append(
            {
                "h3": props["h3"],
                "resolution": props["resolution"],
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "category": props["category"],
                "count": props["count"],
            }
        )
    return rows


# --- the response --------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """One CSV/XLSX cell: booleans as true/false, text a spreadsheet would run as a formula escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(exports._format_value(value))


class _Echo:
    """A file-like object whose ``write`` hands the line back, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[dict], columns: list[tuple[str, str]]) -> Iterator[str]:
    """The header, the HXL hashtag row, then one line per row — generated, never held in memory."""
    writer = csv_writer(_Echo())
    yield writer.writerow([name for name, _tag in columns])
    yield writer.writerow([tag for _name, tag in columns])
    for row in rows:
        yield writer.writerow([_cell(row.get(name)) for name, _tag in columns])


def xlsx_bytes(rows: Iterable[dict], columns: list[tuple[str, str]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append([name for name, _tag in columns])
    sheet.append([tag for _name, tag in columns])
    for row in rows:
        sheet.append([_cell(row.get(name)) for name, _tag in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _public(row: dict) -> dict:
    return {key: value for key, value in row.items() if not key.startswith("_")}


def _features(rows: Iterable[dict]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": row.get("_geometry"), "properties": _public(row)} for row in rows],
    }


def _year_param(params: Any) -> int | None:
    raw = params.get("period") or ""
    if not raw:
        return None
    if not (raw.isdigit() and len(raw) == 4):
        raise Http404("period must be a year")
    return int(raw)


def dataset(city: City, name: str, params: Any) -> Dataset:
    """Resolve a dataset name and its query parameters; unknown names and non-public things are 404."""
    if name == "observations":
        code = params.get("indicator") or None
        if code:
            queries.public_indicator(city, code)  # 404 before the response starts streaming
        year = _year_param(params)
        suffix = "".join(f"-{part}" for part in (code, year) if part)
        return Dataset(
            name, OBSERVATION_COLUMNS, lambda: observation_rows(city, indicator_code=code, year=year), suffix=suffix
        )
    if name == "index":
        rows, extra = index_rows(city, params)
        return Dataset(
            name,
            INDEX_COLUMNS,
            lambda: rows,
            features=lambda: _features(rows),
            suffix=f"-{extra['period']}-{extra['level']}",
            extra=extra,
        )
    if name == "areas":
        rows = area_rows(city)
        return Dataset(name, exports.AREA_COLUMNS, lambda: rows, features=lambda: _features(rows))
    if name == "alerts":
        return Dataset(name, ALERT_COLUMNS, lambda: alert_rows(city))
    if name == "incidents":
        collection = incident_features(city, params)
        period = params.get("period")
        return Dataset(
            name,
            INCIDENT_COLUMNS,
            lambda: incident_rows(collection),
            features=lambda: collection,
            suffix=f"-{parse_period(period).code}" if period else "",
            extra={"withheld": collection["withheld"]},
        )
    raise Http404("no such dataset")


DATASETS = ("index", "observations", "areas", "alerts", "incidents")
FORMATS = ("csv", "xlsx", "json", "geojson")


def download(request: HttpRequest, slug: str, dataset_name: str, fmt: str) -> HttpResponse:
    """``/<lang>/cities/<slug>/download/<dataset>.<fmt>``: a public dataset as a file."""
    city = queries.visible_city(request.user, slug)
    if dataset_name not in DATASETS or fmt not in FORMATS:
        raise Http404("no such download")
    data = dataset(city, dataset_name, request.GET)
    if fmt == "geojson" and data.features is None:
        raise Http404("this dataset has no geometry; download it as csv, xlsx or json")
    filename = f"{city.slug}-{data.name}{data.suffix}.{fmt}"
    if fmt == "csv":
        response: HttpResponse = StreamingHttpResponse(
            csv_lines(data.rows(), data.columns), content_type=MEDIA_TYPES["csv"]
        )
    elif fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(data.rows(), data.columns), content_type=MEDIA_TYPES["xlsx"])
    elif fmt == "geojson":
        assert data.features is not None
        response = HttpResponse(exports.dumps(data.features()), content_type=MEDIA_TYPES["geojson"])
    else:
        body = {data.name: [_public(row) for row in data.rows()], **(data.extra or {})}
        response = HttpResponse(json.dumps(body, ensure_ascii=False, default=str), content_type=MEDIA_TYPES["json"])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
