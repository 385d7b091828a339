"""``safercities import areas`` and ``safercities import population``: boundaries and head counts.

Boundaries arrive as GeoJSON, zipped or bare shapefiles and GeoPackages, in whatever projection the
mapping office uses, with the odd self-intersecting ring. We reproject everything to WGS 84, repair
what ``shapely.make_valid`` can repair (and say so), and reject the rest with the feature's position,
so that every later spatial step (point-in-polygon, weights, maps) can trust the stored geometry. Rings
that cross themselves more than ``MAX_SELF_INTERSECTIONS`` times are refused unrepaired: repairing
them could hold a worker for minutes.

Population tables arrive long or wide by year and often at a finer level than the areas (CONAPO's
municipalities for our states); ``--area-code-prefix`` sums them up to the areas they belong to.

Both importers follow the contract of :mod:`safercities.ingest.runner`: read and check everything,
then write in one transaction; re-importing the same file changes nothing.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter
from typing import Any

import numpy as np
import shapely
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError, ProjError

from safercities.ingest.cells import unescape_cell
from safercities.ingest.files import FileProblem, parse_number, read_table, sniff_kind
from safercities.ingest.report import ImportReport
from safercities.ingest.runner import ImportContext, run_import
from safercities.places.models import Area, AreaPopulation, City

AREA_OPTIONS = frozenset(
    [
        "code_field",
        "code_template",
        "name_field",
        "parent_field",
        "level",
        "population_field",
        "population_year",
        "crs",
        "layer",
        "parent_code",
        "parent_name",
        "parent_level",
    ]
)
POPULATION_OPTIONS = frozenset(
    [
        "area_field",
        "area_match",
        "area_code_prefix",
        "wide",
        "year_field",
        "population_field",
        "sex_field",
        "age_group_field",
        "sheet",
        "delimiter",
        "encoding",
        "total_code",
    ]
)

DECIMALS = 7  # 1e-7 degrees is about 1 cm: finer is noise, coarser moves boundaries visibly.
GRID = 10.0**-DECIMALS
GEOD = Geod(ellps="WGS84")
WGS84 = CRS.from_user_input("OGC:CRS84")  # longitude first, as GeoJSON (RFC 7946) stores it
MAX_CODE, MAX_NAME, MAX_LEVEL, MAX_AGE_GROUP = 64, 200, 40, 20
MAX_LISTED = 10  # positions listed in one note
DEFAULT_PARENT_LEVEL = "root"
PLAINLY_NOT_DEGREES = 1000.0
BATCH = 500
# Repairing a self-intersecting ring costs time that grows with its crossings, not its vertices: a
# random 2,000-vertex ring (~500,000 crossings) holds a worker for 15 s even with the fast method.
# Real digitising faults have a handful; above this many the feature is refused (docs/data-formats.md).
MAX_SELF_INTERSECTIONS = 1000
PAIR_BUDGET = 1_000_000  # segment pairs one tree query may return while counting crossings (memory bound)

SEXES = {
    **dict.fromkeys(["", "all", "total", "both", "ambos", "todos", "t"], ""),
    **dict.fromkeys(["female", "f", "woman", "women", "mujer", "mujeres", "femenino", "fem"], "female"),
    **dict.fromkeys(["male", "m", "man", "men", "hombre", "hombres", "masculino", "masc"], "male"),
    **dict.fromkeys(["other", "otro", "otra"], "other"),
}


# ============================================================================================ areas


def import_areas(
    city: City,
    path: str | Path,
    *,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    **options: Any,
) -> ImportReport:
    """Validate every feature of a boundary file, then upsert the city's areas by code in one transaction."""
    return run_import(
        kind="areas", city=city, path=path, importer=_import_areas, user=user, dry_run=dry_run, options=options
    )


@dataclass
class _Feature:
    """One input feature: position from 1, its properties and its geometry (None when unreadable)."""

    row: int
    properties: dict[str, Any]
    geometry: shapely.Geometry | None
    problem: str = ""


@dataclass
class _Source:
    """What a reader found: the features and the CRS the file declares (None if it declares none)."""

    features: list[_Feature]
    crs: CRS | None
    what: str


@dataclass
class _AreaRecord:
    row: int
    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: dict[str, Any]
    centroid: tuple[float, float]
    bbox: tuple[float, float, float, float]
    area_km2: float
    population: int | None = None


@dataclass
class _AreaOptions:
    code_field: str | None = None
    code_template: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    level: str | None = None
    population_field: str | None = None
    population_year: int | None = None
    crs: str | None = None
    layer: str | None = None
    parent_code: str | None = None
    parent_name: str | None = None
    parent_level: str | None = None
    template_fields: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, options: dict[str, Any]) -> _AreaOptions:
        unknown = sorted(set(options) - AREA_OPTIONS)
        if unknown:
            raise FileProblem(
                f"unknown option(s) for an areas import: {', '.join(unknown)} "
                f"(known: {', '.join(sorted(AREA_OPTIONS))})"
            )
        parsed = cls(**{key: value for key, value in options.items() if value is not None and value != ""})
        if parsed.code_field and parsed.code_template:
            raise FileProblem("give either --code-field or --code-template, not both")
        if bool(parsed.population_field) != (parsed.population_year is not None):
            raise FileProblem("--population-field and --population-year go together: give both or neither")
        if parsed.population_year is not None:
            try:
                parsed.population_year = int(parsed.population_year)
            except (TypeError, ValueError):
                raise FileProblem(f"--population-year {parsed.population_year!r} is not a year") from None
            if not 1800 <= parsed.population_year <= 2200:
                raise FileProblem(f"--population-year {parsed.population_year} is outside 1800–2200")
        if (parsed.parent_name or parsed.parent_level) and not parsed.parent_code:
            raise FileProblem("--parent-name and --parent-level describe the area given by --parent-code")
        if parsed.parent_code:
            parsed.parent_code = parsed.parent_code.strip()
            if len(parsed.parent_code) > MAX_CODE:
                raise FileProblem(f"--parent-code is longer than {MAX_CODE} characters")
        if parsed.parent_name and len(parsed.parent_name) > MAX_NAME:
            raise FileProblem(f"--parent-name is longer than {MAX_NAME} characters")
        for option, value in (("--level", parsed.level), ("--parent-level", parsed.parent_level)):
            if value and len(value) > MAX_LEVEL:
                raise FileProblem(f"{option} is longer than {MAX_LEVEL} characters")
        if parsed.code_template:
            parsed.template_fields = _template_fields(parsed.code_template)
        return parsed


def _template_fields(template: str) -> list[str]:
    """The property names a ``--code-template`` uses; attribute and index access are refused."""
    names: list[str] = []
    try:
        parts = list(Formatter().parse(template))
    except ValueError as exc:
        raise FileProblem(f"--code-template {template!r} is not a valid template: {exc}") from None
    for _literal, name, _spec, _conversion in parts:
        if name is None:
            continue
        if not name or name.isdigit() or any(char in name for char in ".[]"):
            raise FileProblem(f"--code-template {template!r}: write property names in braces, e.g. '{{PROV}}-{{NAME}}'")
        names.append(name)
    if not names:
        raise FileProblem(f"--code-template {template!r} uses no property; write e.g. '{{PROV}}-{{NAME}}'")
    return names


# ---------------------------------------------------------------------------------------- reading


def _read_source(path: Path, opts: _AreaOptions) -> _Source:
    """Pick the reader by content (extensions lie) and return the features and declared CRS."""
    if _is_bare_shapefile(path):
        _check_sidecars(path)
        return _read_ogr(str(path), opts.layer, "shapefile")
    kind = sniff_kind(path)
    if kind == "empty":
        raise FileProblem(_("the file %(name)s is empty") % {"name": repr(path.name)})
    if kind == "geojson":
        if opts.layer:
            raise FileProblem("--layer applies to GeoPackages and zipped shapefiles, not to GeoJSON")
        return _read_geojson(path)
    if kind == "shapefile-zip":
        return _read_zip(path, opts.layer)
    if kind == "gpkg":
        return _read_gpkg(path, opts.layer)
    described = {
        "zip": _("a zip archive without a shapefile (.shp) in it"),
        "xlsx": _("an Excel workbook"),
        "csv": _("a text (CSV) file"),
        "binary": _("a binary file that is not a shapefile or GeoPackage"),
    }.get(kind, kind)
    raise FileProblem(
        _(
            "the file %(name)s is %(described)s; areas must be GeoJSON, a zipped shapefile, "
            "a .shp with its .shx and .dbf beside it, or a GeoPackage"
        )
        % {"name": repr(path.name), "described": described}
    )


def _is_bare_shapefile(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(4)
    return head == b"\x00\x00\x27\x0a"


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def _check_sidecars(path: Path) -> None:
    if path.suffix.lower() != ".shp":
        raise FileProblem(
            _("the file %(name)s is a shapefile (.shp) but is not named .shp; rename it") % {"name": repr(path.name)}
        )
    missing = [suffix for suffix in (".shx", ".dbf") if _sidecar(path, suffix) is None]
    if missing:
        raise FileProblem(
            _(
                "the shapefile needs its %(suffixes)s file(s) beside it (missing: %(names)s); "
                "or zip all its files together"
            )
            % {"suffixes": _(" and ").join(missing), "names": ", ".join(path.stem + s for s in missing)}
        )


def _read_zip(path: Path, layer: str | None) -> _Source:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if not name.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileProblem(_("the zip archive cannot be read: %(reason)s") % {"reason": exc}) from None
    shps = [name for name in names if name.lower().endswith(".shp")]
    if layer:
        chosen = [name for name in shps if Path(name).stem == layer or name == layer]
        if not chosen:
            raise FileProblem(
                _("the zip has no shapefile %(layer)s (it has: %(names)s)")
                % {"layer": repr(layer), "names": ", ".join(Path(n).stem for n in shps)}
            )
    elif len(shps) > 1:
        raise FileProblem(
            _("the zip holds %(n)s shapefiles (%(names)s); choose one with --layer")
            % {"n": len(shps), "names": ", ".join(Path(n).stem for n in shps[:10])}
        )
    else:
        chosen = shps
    member = chosen[0]
    lower = {name.lower() for name in names}
    stem = member[: -len(".shp")]
    missing = [suffix for suffix in (".shx", ".dbf") if (stem + suffix).lower() not in lower]
    if missing:
        raise FileProblem(
            _("the zip has %(member)s but not its %(suffixes)s file(s)")
            % {"member": member, "suffixes": _(" and ").join(missing)}
        )
    return _read_ogr(f"/vsizip/{path.resolve()}/{member}", None, "zipped shapefile")


def _read_gpkg(path: Path, layer: str | None) -> _Source:
    import pyogrio

    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(str(path))]
    except Exception as exc:  # pyogrio raises its own and GDAL's errors
        raise FileProblem(_("the GeoPackage cannot be opened: %(reason)s") % {"reason": _short(exc)}) from None
    if not layers:
        raise FileProblem(_("the GeoPackage has no layers"))
    if layer is None:
        if len(layers) > 1:
            raise FileProblem(
                _("the GeoPackage has %(n)s layers (%(names)s); choose one with --layer")
                % {"n": len(layers), "names": ", ".join(layers[:10])}
            )
        layer = layers[0]
    elif layer not in layers:
        raise FileProblem(
            _("the GeoPackage has no layer %(layer)s (it has: %(names)s)")
            % {"layer": repr(layer), "names": ", ".join(layers[:10])}
        )
    return _read_ogr(str(path), layer, "GeoPackage")


def _read_ogr(source: str, layer: str | None, what: str) -> _Source:
    """Read with pyogrio (GDAL in its wheel); every field becomes a plain Python value."""
    from pyogrio.raw import read

    try:
        meta, _fids, geometries, columns = read(source, layer=layer, force_2d=True)
    except Exception as exc:  # GDAL errors come in many types; all mean "cannot read this file"
        raise FileProblem(
            _("the %(what)s cannot be read: %(reason)s") % {"what": _format_name(what), "reason": _short(exc)}
        ) from None
    names = [str(name) for name in meta["fields"]]
    crs = None
    if meta.get("crs"):
        try:
            crs = CRS.from_user_input(meta["crs"])
        except CRSError as exc:
            raise FileProblem(
                _("the %(what)s's coordinate reference system cannot be understood: %(reason)s")
                % {"what": _format_name(what), "reason": _short(exc)}
            ) from None
    features = []
    count = len(geometries) if geometries is not None else (len(columns[0]) if columns else 0)
    for index in range(count):
        properties = {name: _plain(columns[i][index]) for i, name in enumerate(names)}
        wkb = geometries[index] if geometries is not None else None
        geometry, problem = None, ""
        if wkb is None:
            problem = _("has no geometry")
        else:
            try:
                geometry = shapely.from_wkb(wkb)
            except shapely.errors.GEOSException as exc:
                problem = _unreadable_geometry(exc)
        features.append(_Feature(index + 1, properties, geometry, problem))
    return _Source(features, crs, what)


def _plain(value: Any) -> Any:
    """numpy scalars to Python; NaN and NaT to None (shapefiles have no null)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _read_geojson(path: Path) -> _Source:
    """GeoJSON through the json module: errors point at the feature, not at a GDAL message."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _("the GeoJSON is not UTF-8 text (byte %(byte)s); GeoJSON must be UTF-8") % {"byte": exc.start}
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(
            _("the file is not valid JSON: %(reason)s at line %(line)s, column %(column)s")
            % {"reason": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from None
    except RecursionError:
        raise FileProblem(_("the JSON is nested too deeply to be GeoJSON")) from None
    except ValueError:  # Python refuses integers of more than 4,300 digits (a denial-of-service guard)
        raise FileProblem(_("the file holds a number too long to be read (more than 4,300 digits)")) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        items: Any = [data]
    elif isinstance(data, dict) and data.get("type") == "FeatureCollection" and isinstance(data.get("features"), list):
        items = data["features"]
    else:
        raise FileProblem(
            _(
                'the JSON file is not GeoJSON: a FeatureCollection (an object with "type": "FeatureCollection" '
                'and a "features" list) is expected'
            )
        )
    crs = _geojson_crs(data.get("crs"))
    features = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("type") != "Feature":
            features.append(_Feature(index, {}, None, _('is not a GeoJSON Feature (no "type": "Feature")')))
            continue
        properties = item.get("properties") or {}
        if not isinstance(properties, dict):
            features.append(_Feature(index, {}, None, _("has properties that are not an object")))
            continue
        unreadable = _unstorable_text(properties)
        if unreadable:
            features.append(_Feature(index, {}, None, unreadable))
            continue
        geometry, problem = None, ""
        raw_geometry = item.get("geometry")
        if raw_geometry is None:
            problem = _("has no geometry")
        else:
            try:
                geometry = shapely.geometry.shape(raw_geometry)
            except Exception as exc:  # shapely raises several types on malformed coordinates
                problem = _unreadable_geometry(exc)
        features.append(_Feature(index, properties, geometry, problem))
    return _Source(features, crs, "GeoJSON")


def _geojson_crs(member: Any) -> CRS | None:
    """The (pre-RFC 7946) ``crs`` member, e.g. ``urn:ogc:def:crs:EPSG::32614``; none means WGS 84."""
    if member is None:
        return None
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not isinstance(name, str):
        raise FileProblem(_('the GeoJSON "crs" member has no name; remove it or write e.g. "EPSG:32614"'))
    try:
        return CRS.from_user_input(name)
    except CRSError:
        raise FileProblem(_("the GeoJSON declares the unknown CRS %(name)s") % {"name": repr(name[:80])}) from None


def _format_name(what: str) -> str:
    """The reader's word for a source format; GeoJSON and GeoPackage are names in every language."""
    return {"shapefile": _("shapefile"), "zipped shapefile": _("zipped shapefile")}.get(what, what)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# --------------------------------------------------------------------------------------- geometry


def _source_crs(source: _Source, opts: _AreaOptions, report: ImportReport) -> CRS | None:
    """The CRS to reproject from (None: already WGS 84 longitude/latitude)."""
    given = None
    if opts.crs:
        try:
            given = CRS.from_user_input(opts.crs)
        except CRSError:
            raise FileProblem(
                _("--crs %(crs)s is not a coordinate reference system (write e.g. EPSG:32614)")
                % {"crs": repr(opts.crs)}
            ) from None
    declared = source.crs
    if declared is not None and given is not None and not declared.equals(given, ignore_axis_order=True):
        raise FileProblem(
            _(
                "the file declares its CRS as %(declared)s but --crs says %(given)s; "
                "drop --crs (it is for files that declare none)"
            )
            % {"declared": _crs_label(declared), "given": _crs_label(given)}
        )
    crs = declared or given
    if crs is None:
        return None
    if crs.equals(WGS84, ignore_axis_order=True):
        return None
    report.notes.append(_("reprojected from %(crs)s to WGS 84") % {"crs": _crs_label(crs)})
    return crs


def _crs_label(crs: CRS) -> str:
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else crs.name


def _check_degrees(features: list[_Feature], source: _Source, opts: _AreaOptions) -> None:
    """A file without a CRS is read as WGS 84; refuse it whole when its numbers cannot be degrees."""
    if source.crs is not None or opts.crs:
        return
    for feature in features:
        if feature.geometry is None or feature.geometry.is_empty:
            continue
        coords = shapely.get_coordinates(feature.geometry)
        if not np.isfinite(coords).all():
            continue
        # Metres are in the thousands; a stray 95° latitude is a typo, reported on its own feature.
        outside = (np.abs(coords[:, 0]) > PLAINLY_NOT_DEGREES) | (np.abs(coords[:, 1]) > PLAINLY_NOT_DEGREES)
        if outside.any():
            x, y = coords[outside][0]
            raise FileProblem(
                _(
                    "feature %(row)s has coordinates (%(x)s, %(y)s) that are not longitude/latitude degrees, "
                    "and the file declares no coordinate reference system; say which one with --crs "
                    "(e.g. --crs EPSG:32614 for UTM zone 14N)"
                )
                % {"row": feature.row, "x": f"{x:.1f}", "y": f"{y:.1f}"}
            )


def _prepare_geometry(
    geometry: shapely.Geometry, transformer: Transformer | None
) -> tuple[shapely.Geometry | None, str, str]:
    """Reproject, check, repair, snap to 1e-7°. Returns (geometry, error, repair note)."""
    kind = geometry.geom_type
    if kind not in {"Polygon", "MultiPolygon", "Point"}:
        return None, _("is a %(kind)s; areas must be a Polygon, MultiPolygon or Point") % {"kind": kind}, ""
    if geometry.is_empty:
        return None, _("has an empty %(kind)s") % {"kind": kind}, ""
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return None, _("has coordinates that are not finite numbers"), ""
    if transformer is not None:
        try:
            geometry = shapely.transform(
                geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
            )
        except ProjError as exc:
            return None, _("cannot be reprojected (%(reason)s)") % {"reason": _short(exc)}, ""
        if not np.isfinite(shapely.get_coordinates(geometry)).all():
            return None, _("has coordinates that cannot be reprojected (outside the declared CRS's area)"), ""
    coords = shapely.get_coordinates(geometry)
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        x, y = coords[(np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)][0]
        message = _("has coordinates out of range (%(x)s, %(y)s): longitude must be −180…180, latitude −90…90")
        return None, message % {"x": f"{x:.6g}", "y": f"{y:.6g}"}, ""
    if kind == "Point":
        return shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS)), "", ""
    repaired = ""
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        if _self_intersections(geometry, MAX_SELF_INTERSECTIONS) > MAX_SELF_INTERSECTIONS:
            return (
                None,
                _(
                    "has an invalid polygon whose boundary crosses itself more than %(limit)s times (%(reason)s); "
                    "it is too tangled to repair here: fix it in a GIS first (e.g. QGIS “Fix geometries”)"
                )
                % {"limit": f"{MAX_SELF_INTERSECTIONS:,}", "reason": reason},
                "",
            )
        # "structure" (GEOS 3.10+) unions the shells and subtracts the holes, as a boundary means them;
        # it is also 10–1000× faster than "linework" on tangled rings (measured in docs/data-formats.md).
        fixed = _polygonal(shapely.make_valid(geometry, method="structure", keep_collapsed=False))
        if fixed is None:
            return None, _("has an invalid polygon that cannot be repaired (%(reason)s)") % {"reason": reason}, ""
        geometry, repaired = fixed, reason
    snapped = _polygonal(shapely.set_precision(geometry, GRID))
    if snapped is None or not snapped.is_valid:
        return None, _("collapses to nothing at 7-decimal precision (it is smaller than about 1 cm)"), ""
    snapped = shapely.transform(snapped, lambda xy: np.round(xy, DECIMALS))
    return _canonical(snapped), "", repaired


def _canonical(geometry: shapely.Geometry) -> shapely.Geometry:
    """One stored form per shape: rings start at their lowest-left vertex, parts in a fixed order.

    ``set_precision`` rotates rings, so without this each export → import round trip would store a
    different ring start and call an unchanged area "updated". ``normalize`` orders rings clockwise;
    re-orienting afterwards keeps RFC 7946's right-hand rule (exterior counter-clockwise, holes
    clockwise), which the GeoJSON export writes verbatim.
    """
    return shapely.orient_polygons(shapely.normalize(geometry), exterior_cw=False)


def _same_shape(stored: Any, geojson: dict[str, Any]) -> bool:
    """Whether a stored GeoJSON geometry has exactly the vertices of a new one, whatever ring start,
    orientation or part order (rows stored before geometries were canonical count as unchanged)."""
    if stored == geojson:
        return True
    if not isinstance(stored, dict):
        return False
    try:
        old = shapely.geometry.shape(stored)
    except Exception:  # a hand-edited or corrupt stored value: rewrite it
        return False
    return bool(shapely.equals_identical(shapely.normalize(old), shapely.normalize(shapely.geometry.shape(geojson))))


def _self_intersections(geometry: shapely.Geometry, limit: int) -> int:
    """Pairs of non-adjacent ring segments that touch or cross, counted until more than ``limit``.

    Counting stops early, so a ring with millions of crossings costs about as much as one with
    ``limit``; the chunks keep each tree query to at most ``PAIR_BUDGET`` pairs.
    """
    rings = shapely.get_rings(shapely.get_parts(geometry))
    starts, ends, ring_of, ring_size = [], [], [], []
    for number, ring in enumerate(rings):
        coords = shapely.get_coordinates(ring)
        keep = np.ones(len(coords), dtype=bool)
        keep[1:] = (np.diff(coords, axis=0) != 0).any(axis=1)  # repeated vertices are not crossings
        coords = coords[keep]
        count = len(coords) - 1
        if count < 1:
            continue
        starts.append(coords[:-1])
        ends.append(coords[1:])
        ring_of.append(np.full(count, number))
        ring_size.append(np.full(count, count))
    if not starts:
        return 0
    segments = shapely.linestrings(np.stack([np.concatenate(starts), np.concatenate(ends)], axis=1))
    ring_id, size = np.concatenate(ring_of), np.concatenate(ring_size)
    tree = shapely.STRtree(segments)
    chunk = max(1, PAIR_BUDGET // len(segments))
    found = 0
    for first in range(0, len(segments), chunk):
        mine, other = tree.query(segments[first : first + chunk], predicate="intersects")
        mine = mine + first
        later = other > mine  # each pair once, and not a segment with itself
        mine, other = mine[later], other[later]
        gap = other - mine
        neighbours = (ring_id[mine] == ring_id[other]) & ((gap == 1) | (gap == size[mine] - 1))
        found += int((~neighbours).sum())
        if found > limit:
            break
    return found


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry | None:
    """Keep the polygonal part of a repaired geometry (make_valid may add stray lines and points)."""
    if geometry.is_empty:
        return None
    if geometry.geom_type in {"Polygon", "MultiPolygon"}:
        return geometry
    parts = [part for part in shapely.get_parts(geometry) if part.geom_type in {"Polygon", "MultiPolygon"}]
    polygons = [p for part in parts for p in shapely.get_parts(part) if not p.is_empty]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _describe(geometry: shapely.Geometry) -> tuple[dict[str, Any], tuple[float, float], tuple[float, ...], float]:
    """GeoJSON, centroid (lon, lat), bbox and geodesic area in km² of a prepared geometry."""
    geojson = json.loads(shapely.to_geojson(geometry))
    if geometry.geom_type == "Point":
        centroid = (geometry.x, geometry.y)
        area = 0.0
    else:
        point = geometry.centroid
        if not geometry.contains(point):
            point = geometry.point_on_surface()  # a crescent's centroid lies outside it
        centroid = (round(point.x, DECIMALS), round(point.y, DECIMALS))
        area = round(abs(GEOD.geometry_area_perimeter(geometry)[0]) / 1e6, 6)
    bbox = tuple(float(v) for v in geometry.bounds)
    return geojson, centroid, bbox, area


# ------------------------------------------------------------------------------------- properties


class _Properties:
    """Property lookup by exact name, then case-insensitively (shapefiles upper-case their fields)."""

    def __init__(self, features: list[_Feature]) -> None:
        self.names: dict[str, str] = {}
        for feature in features:
            for name in feature.properties:
                self.names.setdefault(name, name)
                self.names.setdefault(name.casefold(), name)

    def resolve(self, name: str) -> str | None:
        return self.names.get(name) or self.names.get(name.casefold())

    def listing(self) -> str:
        real = sorted(set(self.names.values()))
        return ", ".join(real[:30]) + (" …" if len(real) > 30 else "") if real else "none"


def _unstorable_text(properties: dict[str, Any]) -> str:
    """Why a property name or text cannot be stored (a NUL character, a lone UTF-16 surrogate), or ""."""
    for key, value in properties.items():
        for what, text in (("name", key), ("value", value)):
            if not isinstance(text, str):
                continue
            if "\x00" in text:
                message = (
                    _("has a property name with a NUL character (%(key)s)")
                    if what == "name"
                    else _("has a property value with a NUL character (%(key)s)")
                )
                return message % {"key": _short_name(key)}
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                message = (
                    _("has a property name that is not valid Unicode text (%(key)s)")
                    if what == "name"
                    else _("has a property value that is not valid Unicode text (%(key)s)")
                )
                return message % {"key": _short_name(key)}
    return ""


def _short_name(key: Any) -> str:
    return repr(str(key).encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:40])


def _text(value: Any) -> str:
    """A property as text: 7.0 from a DBF number is "7", None is ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return unescape_cell(str(value).strip())  # our exports' formula guard ('=x), taken off (ingest/cells.py)


def _too_long(value: str, limit: int) -> str:
    return _("is %(n)s characters long; at most %(limit)s are allowed") % {"n": f"{len(value):,}", "limit": limit}


def _unreadable_geometry(exc: BaseException) -> str:
    return _("has a geometry that cannot be read (%(reason)s)") % {"reason": _short(exc)}


def _import_areas(ctx: ImportContext) -> None:
    opts = _AreaOptions.parse(ctx.options)
    report = ctx.report
    source = _read_source(ctx.path, opts)
    features = source.features
    report.rows = len(features)
    if not features:
        raise FileProblem(_("the file has no features"))
    crs = _source_crs(source, opts, report)
    _check_degrees(features, source, opts)
    if source.crs is None and not opts.crs and source.what != "GeoJSON":
        report.notes.append(
            _("the %(what)s declares no CRS; coordinates were read as WGS 84 degrees")
            % {"what": _format_name(source.what)}
        )
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True) if crs is not None else None

    props = _Properties(features)
    code_key = _field(props, opts.code_field, "code", "--code-field", report) if not opts.code_template else None
    template_keys = {}
    for name in opts.template_fields:
        key = props.resolve(name)
        if key is None:
            report.add_error(
                0,
                "--code-template",
                _("no property %(name)s in the file (it has: %(names)s)")
                % {"name": repr(name), "names": props.listing()},
            )
        template_keys[name] = key
    name_key = _field(props, opts.name_field, "name", "--name-field", report)
    if opts.parent_field:
        parent_key = _field(props, opts.parent_field, "parent", "--parent-field", report)
    else:
        parent_key = props.resolve("parent")
    level_key = None if opts.level else props.resolve("level")
    population_key = (
        _field(props, opts.population_field, "population", "--population-field", report)
        if opts.population_field
        else None
    )
    if not report.ok:
        return

    records: list[_AreaRecord] = []
    seen: dict[str, int] = {}
    repairs: list[str] = []
    code_label = "code" if not opts.code_template else "--code-template"
    for feature in features:
        row = feature.row
        if feature.problem:
            report.add_error(
                row, "geometry", _("feature %(row)s %(problem)s") % {"row": row, "problem": feature.problem}
            )
            continue
        bad = False
        if opts.code_template:
            code, problem = _render(opts.code_template, feature.properties, template_keys)
            if problem:
                report.add_error(row, "code", problem)
                bad = True
        else:
            code = _text(feature.properties.get(code_key)) if code_key else ""
            if not code:
                report.add_error(row, code_key or "code", _("the code is empty"))
                bad = True
        if code and len(code) > MAX_CODE:
            report.add_error(
                row, code_key or "code", _("the code %(problem)s") % {"problem": _too_long(code, MAX_CODE)}
            )
            bad = True
        name = _text(feature.properties.get(name_key)) if name_key else ""
        if not name:
            report.add_error(row, name_key or "name", _("the name is empty"))
            bad = True
        elif len(name) > MAX_NAME:
            report.add_error(
                row, name_key or "name", _("the name %(problem)s") % {"problem": _too_long(name, MAX_NAME)}
            )
            bad = True
        level = opts.level or (_text(feature.properties.get(level_key)) if level_key else "") or "area"
        if len(level) > MAX_LEVEL:
            report.add_error(
                row, level_key or "level", _("the level %(problem)s") % {"problem": _too_long(level, MAX_LEVEL)}
            )
            bad = True
        parent_code = _text(feature.properties.get(parent_key)) if parent_key else ""
        if len(parent_code) > MAX_CODE:
            report.add_error(
                row,
                parent_key or "parent",
                _("the parent code %(problem)s") % {"problem": _too_long(parent_code, MAX_CODE)},
            )
            bad = True
        parent_code = parent_code or opts.parent_code or ""
        population = None
        if population_key:
            raw = feature.properties.get(population_key)
            if _text(raw):
                try:
                    population = _population(raw)
                except ValueError as exc:
                    report.add_error(row, population_key, _("the population %(problem)s") % {"problem": exc})
                    bad = True
        geometry, error, repaired = _prepare_geometry(feature.geometry, transformer)
        if error:
            report.add_error(row, "geometry", _("feature %(row)s %(problem)s") % {"row": row, "problem": error})
            bad = True
        if code and len(code) <= MAX_CODE:
            if code in seen:
                report.add_error(
                    row,
                    code_label,
                    _("the code %(code)s is used by feature %(first)s and feature %(row)s")
                    % {"code": repr(code), "first": seen[code], "row": row},
                )
                bad = True
            else:
                seen[code] = row
        if bad:
            continue
        if repaired:
            repairs.append(f"{row} ({code}: {repaired})")
        geojson, centroid, bbox, area = _describe(geometry)
        records.append(
            _AreaRecord(row, code, name, level, parent_code or None, geojson, centroid, bbox, area, population)
        )
    if opts.parent_code and opts.parent_code in seen:
        report.add_error(
            seen[opts.parent_code],
            code_label,
            _("the code %(code)s is also given as --parent-code") % {"code": repr(opts.parent_code)},
        )
    if not report.ok:
        return
    existing = {area.code: area for area in Area.objects.filter(city=ctx.city)}
    _check_hierarchy(records, existing, opts, report)
    if not report.ok:
        return
    if repairs:
        shown = "; ".join(repairs[:MAX_LISTED]) + (
            _("; and %(n)s more") % {"n": len(repairs) - MAX_LISTED} if len(repairs) > MAX_LISTED else ""
        )
        report.notes.append(
            ngettext(
                "repaired %(n)s invalid geometry: feature %(shown)s",
                "repaired %(n)s invalid geometries: feature %(shown)s",
                len(repairs),
            )
            % {"n": len(repairs), "shown": shown}
        )
    _write_areas(ctx, records, existing, opts)


def _field(props: _Properties, option: str | None, default: str, flag: str, report: ImportReport) -> str | None:
    key = props.resolve(option or default)
    if key is None:
        if option:
            message = _("no property %(name)s in the file (it has: %(names)s)") % {
                "name": repr(option),
                "names": props.listing(),
            }
        else:
            message = _(
                "no %(name)s property; name the property that holds it with %(flag)s (the file has: %(names)s)"
            ) % {"name": repr(default), "flag": flag, "names": props.listing()}
        report.add_error(0, flag if option else default, message)
    return key


def _render(template: str, properties: dict[str, Any], keys: dict[str, str | None]) -> tuple[str, str]:
    values: dict[str, Any] = {}
    for name, key in keys.items():
        value = properties.get(key) if key else None
        if value is None or (isinstance(value, str) and not value.strip()):
            return "", _("the property %(name)s used by --code-template is empty") % {"name": repr(name)}
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        values[name] = value.strip() if isinstance(value, str) else value
    try:
        return template.format_map(values).strip(), ""
    except (ValueError, TypeError, KeyError) as exc:
        return "", _("--code-template cannot be applied: %(reason)s") % {"reason": _short(exc)}


_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")


def _population(raw: Any, *, decimal_comma: bool = False) -> int:
    """A head count: a whole, non-negative number ("1,234", "9.209.944" and 1234.0 are fine).

    A dot between groups of three digits is a thousands separator when it repeats or when the file
    writes decimal commas (semicolon-separated): nobody counts 1.234 people.
    """
    if isinstance(raw, str):
        text = raw.strip()
        if _DOT_THOUSANDS.fullmatch(text) and (decimal_comma or text.count(".") > 1):
            raw = text.replace(".", "")
    value = parse_number(raw, decimal_comma=decimal_comma)
    if value < 0:
        raise ValueError(_("%(value)s is negative") % {"value": f"{value:g}"})
    if abs(value - round(value)) > 1e-6:
        raise ValueError(_("%(value)s is not a whole number of people") % {"value": f"{value:g}"})
    if value > 2**62:
        raise ValueError(_("%(value)s is too large") % {"value": f"{value:g}"})
    return int(round(value))


def _check_hierarchy(
    records: list[_AreaRecord], existing: dict[str, Area], opts: _AreaOptions, report: ImportReport
) -> None:
    """Every parent exists (in the file, the city or --parent-code) and no chain loops back on itself."""
    by_id = {area.pk: area for area in existing.values()}
    parents: dict[str, str | None] = {
        code: by_id[area.parent_id].code if area.parent_id in by_id else None for code, area in existing.items()
    }
    if opts.parent_code and opts.parent_code not in existing:
        parents[opts.parent_code] = None
    file_codes = {record.code for record in records}
    for record in records:
        parents[record.code] = record.parent_code
    for record in records:
        if record.parent_code and record.parent_code not in file_codes and record.parent_code not in parents:
            report.add_error(
                record.row,
                opts.parent_field or "parent",
                _("the parent %(code)s is neither in the file nor an area of this city")
                % {"code": repr(record.parent_code)},
            )
    if not report.ok:
        return
    in_cycle: set[str] = set()
    for record in records:
        chain = [record.code]
        current = record.parent_code
        while current is not None and current not in chain and current not in in_cycle:
            chain.append(current)
            current = parents.get(current)
        if current is not None and current in chain:
            loop = chain[chain.index(current) :] + [current]
            if record.code in loop[:-1]:
                in_cycle.update(loop[:-1])
                report.add_error(
                    record.row,
                    opts.parent_field or "parent",
                    _("the parents form a cycle: %(cycle)s") % {"cycle": " → ".join(loop)},
                )


def _write_areas(ctx: ImportContext, records: list[_AreaRecord], existing: dict[str, Area], opts: _AreaOptions) -> None:
    report, city = ctx.report, ctx.city
    if opts.parent_code:
        parent = existing.get(opts.parent_code)
        if parent is None:
            parent = Area.objects.create(
                city=city,
                code=opts.parent_code,
                name=opts.parent_name or opts.parent_code,
                level=opts.parent_level or DEFAULT_PARENT_LEVEL,
            )
            existing[parent.code] = parent
            report.notes.append(
                _("created the parent area %(code)s (%(name)s)") % {"code": repr(parent.code), "name": parent.name}
            )
        else:
            changed = []
            if opts.parent_name and parent.name != opts.parent_name:
                parent.name = opts.parent_name
                changed.append("name")
            if opts.parent_level and parent.level != opts.parent_level:
                parent.level = opts.parent_level
                changed.append("level")
            if changed:
                parent.save(update_fields=changed)
                # ``changed`` lists field names (name, level), as the command line prints them.
                report.notes.append(
                    _("updated the parent area %(code)s: %(fields)s")
                    % {"code": repr(parent.code), "fields": ", ".join(changed)}
                )

    code_of = {area.pk: code for code, area in existing.items()}
    fields = [
        "name",
        "level",
        "geometry",
        "centroid_lon",
        "centroid_lat",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "area_km2",
    ]
    new: list[Area] = []
    changed: list[Area] = []
    status: dict[str, str] = {}
    for record in records:
        values = {
            "name": record.name,
            "level": record.level,
            "geometry": record.geometry,
            "centroid_lon": record.centroid[0],
            "centroid_lat": record.centroid[1],
            "min_lon": record.bbox[0],
            "min_lat": record.bbox[1],
            "max_lon": record.bbox[2],
            "max_lat": record.bbox[3],
            "area_km2": record.area_km2,
        }
        area = existing.get(record.code)
        if area is None:
            new.append(Area(city=city, code=record.code, **values))
            status[record.code] = "created"
            continue
        differs = not _same_shape(area.geometry, record.geometry)
        differs |= any(getattr(area, name) != value for name, value in values.items() if name != "geometry")
        differs |= code_of.get(area.parent_id) != record.parent_code
        if differs:
            for name, value in values.items():
                setattr(area, name, value)
            changed.append(area)
        status[record.code] = "updated" if differs else "unchanged"
    # New areas whose parent is also new get their parent once both have a primary key.
    parent_of = {record.code: record.parent_code for record in records}
    pk_of = {area.code: area.pk for area in existing.values()}
    later = []
    for area in new:
        parent_code = parent_of[area.code]
        if parent_code and parent_code not in pk_of:
            later.append(area)
        else:
            area.parent_id = pk_of[parent_code] if parent_code else None
    Area.objects.bulk_create(new, batch_size=BATCH)
    pk_of |= {area.code: area.pk for area in new}
    for area in later + changed:
        parent_code = parent_of[area.code]
        area.parent_id = pk_of[parent_code] if parent_code else None
    Area.objects.bulk_update(later, ["parent"], batch_size=BATCH)
    Area.objects.bulk_update(changed, [*fields, "parent"], batch_size=BATCH)

    if opts.population_field:
        year = opts.population_year
        current = {
            p.area_id: p for p in AreaPopulation.objects.filter(area__city=city, year=year, sex="", age_group="")
        }
        to_create, to_update = [], []
        for record in records:
            if record.population is None:
                continue
            area_id = pk_of[record.code]
            row = current.get(area_id)
            if row is None:
                to_create.append(AreaPopulation(area_id=area_id, year=year, population=record.population))
            elif row.population != record.population:
                row.population = record.population
                to_update.append(row)
            else:
                continue
            if status[record.code] == "unchanged":
                status[record.code] = "updated"
        AreaPopulation.objects.bulk_create(to_create, batch_size=BATCH)
        AreaPopulation.objects.bulk_update(to_update, ["population"], batch_size=BATCH)
        missing = sum(1 for record in records if record.population is None)
        if missing:
            report.notes.append(_("%(n)s feature(s) have no population for %(year)s") % {"n": missing, "year": year})
    for value in status.values():
        setattr(report, value, getattr(report, value) + 1)


# ======================================================================================= population


def import_population(
    city: City,
    path: str | Path,
    *,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    **options: Any,
) -> ImportReport:
    """Validate a population table (long or wide by year), then upsert the areas' populations."""
    return run_import(
        kind="population",
        city=city,
        path=path,
        importer=_import_population,
        user=user,
        dry_run=dry_run,
        options=options,
    )


@dataclass
class _PopulationOptions:
    area_field: str | None = None
    area_match: str = "code"
    area_code_prefix: int | None = None
    wide: str | None = None
    year_field: str | None = None
    population_field: str | None = None
    sex_field: str | None = None
    age_group_field: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    total_code: str | None = None

    @classmethod
    def parse(cls, options: dict[str, Any]) -> _PopulationOptions:
        unknown = sorted(set(options) - POPULATION_OPTIONS)
        if unknown:
            raise FileProblem(
                f"unknown option(s) for a population import: {', '.join(unknown)} "
                f"(known: {', '.join(sorted(POPULATION_OPTIONS))})"
            )
        parsed = cls(**{key: value for key, value in options.items() if value is not None and value != ""})
        if parsed.area_match not in {"code", "name"}:
            raise FileProblem(f"--area-match must be 'code' or 'name', not {parsed.area_match!r}")
        if parsed.area_code_prefix is not None:
            try:
                parsed.area_code_prefix = int(parsed.area_code_prefix)
            except (TypeError, ValueError):
                raise FileProblem(f"--area-code-prefix {parsed.area_code_prefix!r} is not a number") from None
            if not 1 <= parsed.area_code_prefix <= MAX_CODE:
                raise FileProblem(f"--area-code-prefix must be between 1 and {MAX_CODE}")
            if parsed.area_match != "code":
                raise FileProblem("--area-code-prefix works on codes; it cannot be used with --area-match name")
        if parsed.wide and (parsed.year_field or parsed.population_field):
            raise FileProblem(
                "a --wide table takes its years and values from the wide columns; "
                "drop --year-field and --population-field"
            )
        return parsed


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def _find_column(columns: list[str], name: str) -> str | None:
    if name in columns:
        return name
    wanted = _column_key(name)
    matches = [column for column in columns if _column_key(column) == wanted]
    return matches[0] if len(matches) == 1 else None


def _wide_columns(spec: str, columns: list[str]) -> list[str]:
    """``1990-2040`` (a range of header columns, inclusive) or ``2019,2020`` or a mix of both."""
    chosen: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part in columns:
            chosen.append(part)
            continue
        first, sep, last = part.partition("-")
        first, last = first.strip(), last.strip()
        if sep and first in columns and last in columns:
            start, stop = columns.index(first), columns.index(last)
            if stop < start:
                raise FileProblem(f"--wide {part!r}: column {last!r} comes before {first!r} in the header")
            chosen.extend(columns[start : stop + 1])
            continue
        raise FileProblem(
            f"--wide {part!r} is neither a column nor a range FIRST-LAST of columns "
            f"(the header has: {', '.join(columns[:12])}{' …' if len(columns) > 12 else ''})"
        )
    duplicates = sorted({c for c in chosen if chosen.count(c) > 1})
    if duplicates:
        raise FileProblem(f"--wide names column(s) {', '.join(duplicates)} twice")
    if not chosen:
        raise FileProblem("--wide names no column")
    return chosen


def _year(value: Any) -> int:
    number = parse_number(value)
    if not number.is_integer():
        raise ValueError(_("%(value)s is not a year") % {"value": repr(value)})
    year = int(number)
    if not 1800 <= year <= 2200:
        raise ValueError(_("%(year)s is outside 1800–2200") % {"year": year})
    return year


def _fold(text: Any) -> str:
    """Case-, accent- and space-insensitive form of a name ("Michoacán de Ocampo" = "michoacan de ocampo")."""
    decomposed = unicodedata.normalize("NFKD", str(text if text is not None else ""))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


class _AreaFinder:
    """Area of the city for a row's text, by code (optionally its first N characters) or by name."""

    def __init__(self, city: City, opts: _PopulationOptions) -> None:
        self.opts = opts
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[tuple[int, str]]] = {}
        for pk, code, name in Area.objects.filter(city=city).values_list("pk", "code", "name"):
            self.by_code[code] = pk
            self.by_name.setdefault(_fold(name), []).append((pk, code))

    def find(self, raw: str) -> tuple[int | None, str]:
        if self.opts.area_match == "name":
            matches = self.by_name.get(_fold(raw), [])
            if len(matches) == 1:
                return matches[0][0], ""
            if matches:
                codes = ", ".join(code for _pk, code in matches[:5])
                return None, _("the name %(raw)s belongs to %(n)s areas (%(codes)s); match by code instead") % {
                    "raw": repr(raw),
                    "n": len(matches),
                    "codes": codes,
                }
            return None, _("no area of this city is named %(raw)s") % {"raw": repr(raw)}
        prefix = self.opts.area_code_prefix
        if prefix is not None:
            if len(raw) < prefix:
                return None, _("the code %(raw)s is shorter than --area-code-prefix %(prefix)s") % {
                    "raw": repr(raw),
                    "prefix": prefix,
                }
            code = raw[:prefix]
            pk = self.by_code.get(code)
            if pk is None:
                return None, _(
                    "no area with code %(code)s (the first %(prefix)s characters of %(raw)s) in this city"
                ) % {
                    "code": repr(code),
                    "prefix": prefix,
                    "raw": repr(raw),
                }
            return pk, ""
        pk = self.by_code.get(raw)
        if pk is None:
            return None, _("no area with code %(raw)s in this city") % {"raw": repr(raw)}
        return pk, ""


def _import_population(ctx: ImportContext) -> None:
    opts = _PopulationOptions.parse(ctx.options)
    report = ctx.report
    table = read_table(ctx.path, encoding=opts.encoding, delimiter=opts.delimiter, sheet=opts.sheet)
    columns = table.columns

    def column(option: str | None, default: str, flag: str, required: bool = True) -> str | None:
        found = _find_column(columns, option or default)
        if found is None and (required or option):
            hint = "" if option else _("; name the column with %(flag)s") % {"flag": flag}
            report.add_error(
                0,
                option or default,
                _("no column %(name)s in the header%(hint)s (it has: %(columns)s)")
                % {"name": repr(option or default), "hint": hint, "columns": ", ".join(columns[:20])},
            )
        return found

    area_col = column(opts.area_field, "area", "--area-field")
    sex_col = column(opts.sex_field, "sex", "--sex-field", required=False)
    age_col = column(opts.age_group_field, "age_group", "--age-group-field", required=False)
    wide: list[tuple[str, int]] = []
    year_col = value_col = None
    if opts.wide:
        for name in _wide_columns(opts.wide, columns):
            try:
                wide.append((name, _year(name)))
            except ValueError as exc:
                report.add_error(
                    0,
                    name,
                    _("the wide column %(name)s is not a year: %(problem)s") % {"name": repr(name), "problem": exc},
                )
    else:
        year_col = column(opts.year_field, "year", _("--year-field (or --wide for one column per year)"))
        value_col = column(opts.population_field, "population", "--population-field")
    if not report.ok:
        return

    finder = _AreaFinder(ctx.city, opts)
    total_id = None
    if opts.total_code:
        total_id = finder.by_code.get(opts.total_code)
        if total_id is None:
            raise FileProblem(
                _("--total-code %(code)s is not an area of this city; create it first")
                % {"code": repr(opts.total_code)}
            )
    code_lengths: set[int] = set()
    cells: dict[tuple[int, int, str, str], int] = {}
    sources: dict[tuple[str, int, str, str], int] = {}
    blank = rows = 0
    for number, row in table.rows:
        rows = number
        if "__error__" in row:
            report.add_error(number, "row", row["__error__"])
            continue
        raw_area = _text(row.get(area_col))
        if raw_area and opts.area_code_prefix:
            code_lengths.add(len(raw_area))
        area_id, problem = (None, _("the area is empty")) if not raw_area else finder.find(raw_area)
        if area_id is not None and area_id == total_id:
            problem = _("this row is for the --total-code area %(code)s, which the importer sums itself") % {
                "code": repr(opts.total_code)
            }
            area_id = None
        if problem:
            report.add_error(number, area_col, problem)
        sex = ""
        if sex_col:
            raw_sex = _fold(row.get(sex_col))
            if raw_sex not in SEXES:
                report.add_error(
                    number,
                    sex_col,
                    _("%(value)s is not a sex (female, male, other or blank for all)")
                    % {"value": repr(_text(row.get(sex_col))[:40])},
                )
                continue
            sex = SEXES[raw_sex]
        age_group = _text(row.get(age_col)) if age_col else ""
        if _fold(age_group) in {"all", "total", "todos", "todas"}:
            age_group = ""
        if len(age_group) > MAX_AGE_GROUP:
            report.add_error(
                number, age_col, _("the age group %(problem)s") % {"problem": _too_long(age_group, MAX_AGE_GROUP)}
            )
            continue
        values: list[tuple[str, int, Any]] = []
        if wide:
            values = [(name, year, row.get(name)) for name, year in wide]
        else:
            try:
                values = [(value_col, _year(row.get(year_col)), row.get(value_col))]
            except ValueError as exc:
                report.add_error(number, year_col, _("the year %(problem)s") % {"problem": exc})
                continue
        for name, year, raw_value in values:
            if not _text(raw_value):
                if wide:
                    blank += 1
                else:
                    report.add_error(number, name, _("the population is empty"))
                continue
            try:
                population = _population(raw_value, decimal_comma=table.delimiter == ";")
            except ValueError as exc:
                report.add_error(number, name, _("the population %(problem)s") % {"problem": exc})
                continue
            source_key = (raw_area, year, sex, age_group)
            if source_key in sources:
                report.add_error(
                    number,
                    name,
                    _("repeats row %(row)s: the same area %(area)s, year %(year)s")
                    % {"row": sources[source_key], "area": repr(raw_area), "year": year}
                    + (_(", sex %(sex)s") % {"sex": repr(sex)} if sex else "")
                    + (_(", age group %(age)s") % {"age": repr(age_group)} if age_group else ""),
                )
                continue
            sources[source_key] = number
            targets = [area_id] if area_id is not None else []
            if total_id is not None and area_id is not None:
                targets.append(total_id)
            for target in targets:
                key = (target, year, sex, age_group)
                cells[key] = cells.get(key, 0) + population
    report.rows = rows
    if rows == 0:
        raise FileProblem(_("the file has a header but no data rows"))
    if not report.ok:
        return
    if blank:
        report.notes.append(_("%(n)s blank cell(s) skipped") % {"n": blank})
    if len(code_lengths) > 1:
        report.notes.append(
            _(
                "the codes have different lengths (%(lengths)s characters): "
                "check that no leading zeros were lost before summing by --area-code-prefix"
            )
            % {"lengths": ", ".join(map(str, sorted(code_lengths)))}
        )
    if len(sources) > len(cells):
        report.notes.append(
            _("%(sources)s source values summed into %(cells)s area populations")
            % {"sources": f"{len(sources):,}", "cells": f"{len(cells):,}"}
        )
    _write_populations(report, ctx.city, cells)


def _write_populations(report: ImportReport, city: City, cells: dict[tuple[int, int, str, str], int]) -> None:
    """Upsert by (area, year, sex, age group); the counts are of population records, not rows."""
    current = {
        (p.area_id, p.year, p.sex, p.age_group): p
        for p in AreaPopulation.objects.filter(area__city=city, year__in={key[1] for key in cells})
    }
    to_create, to_update = [], []
    for (area_id, year, sex, age_group), population in cells.items():
        row = current.get((area_id, year, sex, age_group))
        if row is None:
            to_create.append(
                AreaPopulation(area_id=area_id, year=year, sex=sex, age_group=age_group, population=population)
            )
        elif row.population != population:
            row.population = population
            to_update.append(row)
        else:
            report.unchanged += 1
    AreaPopulation.objects.bulk_create(to_create, batch_size=BATCH)
    AreaPopulation.objects.bulk_update(to_update, ["population"], batch_size=BATCH)
    report.created += len(to_create)
    report.updated += len(to_update)
