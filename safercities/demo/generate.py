"""A synthetic city, generated deterministically: geometry, population, observations and incidents.

This module is pure (numpy, pandas, shapely; no Django) so that its properties can be tested without a
database and so that the demo is loaded through the same importers as real data (``build.py`` writes the
files with :func:`write_files` and hands them to the importers).

Everything random comes from ``numpy.random.default_rng`` seeded with ``seed`` plus a fixed label per
part, so adding an indicator to the catalogue does not move the incidents, and two runs with the same
arguments produce byte-identical files. Dates come from the fixed :data:`FIRST_MONTH` and :data:`MONTHS`,
never from today's date.

The city is fictional ("Ciudad Demo", around 19.03 N, 98.21 W). What it contains, and where the planted
cluster and surge are, is documented in ``docs/demo.md``; :class:`DemoData.facts` carries the same facts
for tests.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping

SEED = 20260101
FIRST_MONTH = (2022, 1)
MONTHS = 48  # 2022-01 … 2025-12: the last full month before the fixed reference date 2026-01-01
YEARS = (2022, 2023, 2024, 2025)
CENTRE_LAT, CENTRE_LON = 19.03, -98.21
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(CENTRE_LAT))
CITY_CODE = "CD"
NEIGHBOURHOODS = 120
DISTRICTS = 10
CITY_POPULATION = 1_000_000  # in the first year, at scale 1

SEXES = ("female", "male")
AGE_GROUPS = ("0-14", "15-29", "30-59", "60+")
ADULT_AGES = ("15-29", "30-59", "60+")
DISABILITY = ("with_disability", "without_disability")
DISABILITY_SHARE = 0.07

CATEGORIES = (
    "homicide",
    "assault",
    "robbery",
    "burglary",
    "vehicle_theft",
    "sexual_violence",
    "harassment",
    "domestic_violence",
    "vandalism",
    "drug_offence",
    "traffic_collision",
    "fire",
    "flood",
    "disease_case",
)
SENSITIVE_CATEGORIES = ("sexual_violence", "harassment", "domestic_violence")

# Where the planted signals are (km east, km north of the centre); the exact areas are in ``facts``.
MARKET_XY = (1.8, 0.9)
CLUSTER_SIZE = 8
CLUSTER_CATEGORIES = {"robbery": 3.0, "assault": 2.0}  # extra multiple at the market, fading outwards
SURGE_XY = (-2.0, -5.0)
SURGE_CATEGORY = "assault"
SURGE_FACTOR = 3.0
SURGE_MONTHS = 2  # the last two months
OUTSIDE_POINTS = 7

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "indicators" / "catalogue.json"


# --------------------------------------------------------------------------------------------------
# Results


@dataclass
class DemoData:
    """Everything the demo loads, as plain Python and data frames (see :func:`write_files`)."""

    areas: dict[str, Any]  # GeoJSON FeatureCollection: properties code, name, parent, level, population
    boundary: dict[str, Any]  # GeoJSON geometry of the city
    population: pd.DataFrame  # area, year, sex, age_group, population
    observations: pd.DataFrame  # the long import format
    incidents: pd.DataFrame  # id, occurred_at, category, lat, lon, victim_sex, victim_age_group (+ area)
    facts: dict[str, Any] = field(default_factory=dict)


def month_codes(first: tuple[int, int] = FIRST_MONTH, count: int = MONTHS) -> list[str]:
    """``['2022-01', …]``: the demo's months, fixed (never relative to today)."""
    year, month = first
    codes = []
    for _ in range(count):
        codes.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return codes


def _rng(seed: int, label: str) -> np.random.Generator:
    """A generator per part: parts do not disturb each other when one of them changes."""
    return np.random.default_rng([seed, zlib.crc32(label.encode("utf-8"))])


# --------------------------------------------------------------------------------------------------
# Geometry (in km around the centre, converted to WGS 84 at the end)


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return CENTRE_LON + x / KM_PER_DEG_LON, CENTRE_LAT + y / KM_PER_DEG_LAT


def _polygon_to_lonlat(polygon: Polygon) -> Polygon:
    def ring(coords: Any) -> list[tuple[float, float]]:
        xy = np.asarray(coords)
        lon, lat = _to_lonlat(xy[:, 0], xy[:, 1])
        return list(zip(lon.tolist(), lat.tolist(), strict=True))

    return Polygon(ring(polygon.exterior.coords), [ring(hole.coords) for hole in polygon.interiors])


def _city_outline(rng: np.random.Generator, radius: float) -> Polygon:
    """An irregular, star-shaped outline: a circle with a few random harmonics, a little elongated."""
    theta = np.linspace(0, 2 * np.pi, 160, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 7):
        r += rng.uniform(0.02, 0.07) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    x, y = radius * 1.15 * r * np.cos(theta), radius * 0.9 * r * np.sin(theta)
    return Polygon(np.column_stack([x, y]))


def _seed_points(rng: np.random.Generator, outline: Polygon, count: int) -> np.ndarray:
    """Seed points denser towards the centre, as in a real city, then two Lloyd steps to even them."""
    minx, miny, maxx, maxy = outline.bounds
    scale = max(maxx - minx, maxy - miny) / 2
    points: list[np.ndarray] = []
    while sum(len(p) for p in points) < count:
        x = rng.uniform(minx, maxx, 4 * count)
        y = rng.uniform(miny, maxy, 4 * count)
        keep = shapely.contains_xy(outline, x, y)
        density = 0.3 + 0.7 * np.exp(-((np.hypot(x, y) / (0.55 * scale)) ** 2))
        keep &= rng.uniform(size=x.size) < density
        points.append(np.column_stack([x[keep], y[keep]]))
    xy = np.concatenate(points)[:count]
    for _ in range(2):
        cells = _voronoi(xy, outline)
        xy = np.array([[cell.centroid.x, cell.centroid.y] for cell in cells])
    return xy


def _voronoi(xy: np.ndarray, outline: Polygon) -> list[Polygon]:
    """Voronoi cells of ``xy`` clipped to ``outline``, in the order of ``xy`` (largest part of each)."""
    diagram = shapely.voronoi_polygons(shapely.MultiPoint(xy), extend_to=outline.buffer(5), ordered=True)
    cells = []
    for cell in diagram.geoms:
        clipped = cell.intersection(outline)
        if isinstance(clipped, MultiPolygon | shapely.GeometryCollection):
            clipped = max((g for g in clipped.geoms if isinstance(g, Polygon)), key=lambda g: g.area)
        cells.append(clipped)
    return cells


def _kmeans(xy: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Weighted k-means labels (farthest-point start, 30 steps): compact districts of similar size."""
    centres = [xy[int(np.argmax(weights))]]
    while len(centres) < k:
        distance = np.min([np.hypot(*(xy - c).T) for c in centres], axis=0)
        centres.append(xy[int(np.argmax(distance * rng.uniform(0.9, 1.0, len(xy))))])
    centre_array = np.array(centres)
    labels = np.zeros(len(xy), dtype=int)
    for _ in range(30):
        distance = np.hypot(xy[:, None, 0] - centre_array[None, :, 0], xy[:, None, 1] - centre_array[None, :, 1])
        labels = np.argmin(distance, axis=1)
        for j in range(k):
            members = labels == j
            if members.any():
                centre_array[j] = np.average(xy[members], axis=0, weights=weights[members])
    return labels


def _adjacency(cells: Sequence[Polygon]) -> dict[int, dict[int, float]]:
    """Shared border length (km) between cells that touch along an edge (queen contiguity minus corners)."""
    tree = shapely.STRtree(cells)
    neighbours: dict[int, dict[int, float]] = {i: {} for i in range(len(cells))}
    for i, cell in enumerate(cells):
        for j in tree.query(cell, predicate="intersects"):
            j = int(j)
            if j <= i:
                continue
            length = cell.boundary.intersection(cells[j].boundary).length
            if length > 1e-6:
                neighbours[i][j] = neighbours[j][i] = length
    return neighbours


def _make_contiguous(labels: np.ndarray, neighbours: dict[int, dict[int, float]]) -> np.ndarray:
    """Move cells cut off from the main body of their district to the neighbour they share most border with."""
    labels = labels.copy()
    for _ in range(20):
        moved = False
        for district in np.unique(labels):
            members = set(np.flatnonzero(labels == district).tolist())
            parts: list[set[int]] = []
            unseen = set(members)
            while unseen:
                stack = [unseen.pop()]
                part = set(stack)
                while stack:
                    for j in neighbours[stack.pop()]:
                        if j in unseen:
                            unseen.discard(j)
                            part.add(j)
                            stack.append(j)
                parts.append(part)
            if len(parts) < 2:
                continue
            parts.sort(key=len, reverse=True)
            for part in parts[1:]:
                for i in sorted(part):
                    options = {j: w for j, w in neighbours[i].items() if labels[j] != district}
                    if options:
                        labels[i] = labels[max(sorted(options), key=lambda j: options[j])]
                        moved = True
        if not moved:
            break
    return labels


_NEIGHBOURHOOD_NAMES = [
    "San Miguel", "Santa Ana", "San José", "La Paz", "El Carmen", "Las Flores", "El Mirador", "Los Álamos",
    "San Pedro", "Santa Cruz", "La Joya", "El Rosario", "Los Olivos", "San Juan", "La Esperanza", "El Roble",
    "Las Palmas", "Santa Lucía", "San Andrés", "La Cañada", "El Sabino", "Los Fresnos", "San Bartolo",
    "La Providencia", "El Porvenir", "Las Margaritas", "San Isidro", "Santa María", "La Libertad", "El Progreso",
    "Los Cedros", "San Lorenzo", "La Estrella", "El Vergel", "Las Águilas", "San Francisco", "Santa Rosa",
    "La Alameda", "El Paraíso", "Los Naranjos", "San Antonio", "La Pradera", "El Molino", "Las Brisas",
    "San Martín", "Santa Teresa", "La Cruz", "El Ocotal", "Los Pinos", "San Felipe", "La Noria", "El Tejocote",
    "Las Lomas", "San Nicolás", "Santa Clara", "La Aurora", "El Arenal", "Los Sauces", "San Rafael", "La Ermita",
    "El Capulín", "Las Fuentes", "San Gabriel", "Santa Inés", "La Concepción", "El Manantial", "Los Laureles",
    "San Sebastián", "La Magdalena", "El Calvario", "Las Granjas", "San Diego", "Santa Catarina", "La Cima",
    "El Bosque", "Los Encinos", "San Agustín", "La Floresta", "El Jardín", "Las Rosas", "San Marcos",
    "Santa Bárbara", "La Loma", "El Pedregal", "Los Manantiales", "San Cristóbal", "La Asunción", "El Fresno",
    "Las Huertas", "San Ramón", "Santa Fe", "La Palma", "El Salvador", "Los Reyes", "San Jerónimo", "La Soledad",
    "El Pocito", "Las Animas", "San Baltazar", "Santa Julia", "La Guadalupe", "El Cerrito", "Los Volcanes",
    "San Mateo", "La Candelaria", "El Llano", "Las Cruces", "San Lucas", "Santa Elena", "La Perla", "El Triunfo",
    "Los Ángeles", "San Simón", "La Victoria", "El Refugio", "Las Carmelitas", "San Pablo", "Santa Mónica",
    "La Hacienda", "El Batán", "Los Héroes", "San Ignacio", "La Gloria", "El Edén", "Las Arboledas",
]  # fmt: skip

_DISTRICT_NAMES = {
    "centre": ["Centro Histórico", "Zócalo"],
    "N": ["Lomas del Norte", "Cerro Norte"],
    "NE": ["Valle del Nororiente", "Amalucan"],
    "E": ["Oriente", "Los Llanos"],
    "SE": ["Sureste", "Río Seco"],
    "S": ["Valle Sur", "Las Ladrilleras"],
    "SW": ["Suroeste", "Los Arcos"],
    "W": ["Poniente", "Las Ánimas"],
    "NW": ["Lomas del Poniente", "Zavaleta"],
}


def _compass(x: float, y: float) -> str:
    if math.hypot(x, y) < 2.5:
        return "centre"
    sectors = ["E", "NE", "N", "NW", "W", "SW", "S", "SE"]
    return sectors[int(((math.degrees(math.atan2(y, x)) + 22.5) % 360) // 45)]


# --------------------------------------------------------------------------------------------------
# Population


def _age_shares(deprivation: np.ndarray) -> np.ndarray:
    """Shares of 0-14, 15-29, 30-59, 60+: poorer areas are younger (youth matters)."""
    young = 0.18 + 0.10 * deprivation
    youth = 0.23 + 0.05 * deprivation
    old = 0.17 - 0.09 * deprivation
    return np.column_stack([young, youth, 1 - young - youth - old, old])


FEMALE_SHARE = np.array([0.49, 0.50, 0.525, 0.56])  # by age group


# --------------------------------------------------------------------------------------------------
# Incidents: base rates per 100,000 residents per year, and how each category varies


@dataclass(frozen=True)
class CategoryModel:
    rate: float  # per 100,000 residents per year, at average deprivation
    deprivation: float  # log-rate change from the best-off to the worst-off area
    centre: float  # log-rate boost in the commercial centre
    trend: float  # relative change per year
    season: tuple[float, ...]  # 12 monthly multipliers (January first)
    hours: tuple[float, float]  # peak hour, spread (hours)
    female: float | None  # share of female victims; None: no victim recorded
    youth: float = 0.3  # share of victims aged 15-29


_FLAT = (1.0,) * 12
CATEGORY_MODELS: dict[str, CategoryModel] = {
    "homicide": CategoryModel(22, 2.2, 0.0, -0.04, _FLAT, (23, 4), 0.12, 0.45),
    "assault": CategoryModel(
        330, 1.6, 0.4, 0.02, (0.9, 0.9, 1.0, 1.0, 1.05, 1.0, 1.0, 1.0, 1.05, 1.0, 1.0, 1.2), (22, 4), 0.35, 0.45
    ),
    "robbery": CategoryModel(
        460, 0.8, 0.9, -0.05, (1.0, 0.95, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 1.0, 1.0, 1.05, 1.2), (19, 4), 0.45, 0.35
    ),
    "burglary": CategoryModel(
        200, -0.5, 0.0, -0.02, (1.0, 1.0, 1.0, 1.15, 1.0, 0.95, 1.1, 1.0, 0.95, 0.95, 0.95, 1.1), (12, 5), None
    ),
    "vehicle_theft": CategoryModel(210, -0.2, 0.3, -0.06, _FLAT, (2, 4), None),
    "sexual_violence": CategoryModel(40, 1.0, 0.2, 0.05, _FLAT, (22, 5), 0.9, 0.45),
    "harassment": CategoryModel(110, 0.5, 0.6, 0.08, _FLAT, (18, 4), 0.85, 0.5),
    "domestic_violence": CategoryModel(
        270, 1.2, 0.0, 0.04, (1.0, 0.95, 1.0, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.25), (21, 4), 0.82, 0.3
    ),
    "vandalism": CategoryModel(160, 0.9, 0.4, 0.0, _FLAT, (1, 4), None),
    "drug_offence": CategoryModel(80, 1.5, 0.3, 0.03, _FLAT, (21, 4), 0.15, 0.55),
    "traffic_collision": CategoryModel(
        300, 0.1, 0.8, -0.02, (1.0, 0.95, 1.0, 1.0, 1.0, 1.05, 1.0, 1.0, 1.05, 1.0, 1.05, 1.2), (18, 5), 0.35, 0.35
    ),
    "fire": CategoryModel(
        50, 0.8, 0.2, 0.0, (1.2, 1.5, 1.7, 1.6, 1.2, 0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 0.9), (15, 5), None
    ),
    "flood": CategoryModel(
        12, 3.0, 0.0, 0.0, (0.0, 0.0, 0.1, 0.2, 0.6, 2.4, 2.8, 2.8, 2.6, 0.5, 0.0, 0.0), (17, 4), None
    ),
    "disease_case": CategoryModel(
        180, 1.4, 0.0, 0.0, (0.6, 0.5, 0.5, 0.6, 0.7, 0.9, 1.4, 1.9, 2.0, 1.5, 1.0, 0.8), (11, 3), 0.52, 0.3
    ),
}


# --------------------------------------------------------------------------------------------------
# Indicators: how each catalogue code is simulated. Codes missing here are simulated from their unit.


@dataclass(frozen=True)
class Profile:
    """How to simulate one indicator.

    ``kind``: ``survey`` (a share from a sample of respondents, with numerator and denominator),
    ``level`` (a continuous value), ``rate`` (events per population from Poisson counts),
    ``incidents`` (counted from the demo's own incidents), ``reports`` (resident reports per 10,000),
    ``city`` (one value for the whole city). ``good``/``bad`` are the values in the best-off and the
    worst-off neighbourhood; ``trend`` is the change per year (logit for surveys, relative otherwise).
    """

    kind: str
    frequency: str = "year"  # year | quarter | month
    good: float = 0.0
    bad: float = 0.0
    trend: float = 0.0
    noise: float = 0.08
    sample: int = 160
    ages: tuple[str, ...] = ADULT_AGES
    female: float = 0.0  # logit offset for women (men get minus half of it)
    youth: float = 0.0  # logit offset for 15-29 (and 0-14 when included)
    elderly: float = 0.0  # logit offset for 60+
    disability: float = 0.0  # logit offset for persons with disabilities
    season_peak: int = 0  # month of a seasonal peak (0: none)
    season: float = 0.0
    coverage: float = 0.97  # share of (area, period) cells that have data
    level: str = "neighbourhood"
    nested_in: str = ""  # survey: a subset of the "yes" answers of this indicator (severe ⊂ moderate)
    decimals: int = 2
    values: tuple[float, ...] = ()  # city: one value per year


PROFILES: dict[str, Profile] = {
    # economic
    "unemployment-rate": Profile(
        "survey", "quarter", 2.5, 9.0, -0.04, sample=220, female=0.15, youth=0.7, elderly=-0.3, disability=0.6
    ),
    "youth-neet": Profile("survey", "quarter", 8.0, 30.0, -0.03, sample=90, ages=("15-29",), female=0.5),
    "inadequate-housing": Profile("level", "year", 2.0, 42.0, -0.03, noise=0.1),
    "informal-employment": Profile("survey", "quarter", 30.0, 68.0, -0.02, sample=200, female=0.2),
    "poverty-national-line": Profile(
        "survey", "year", 12.0, 62.0, -0.06, sample=240, ages=AGE_GROUPS, female=0.08, youth=0.25, elderly=0.1
    ),
    # food
    "food-insecurity": Profile(
        "survey", "year", 9.0, 42.0, -0.05, female=0.15, youth=0.1, elderly=0.15, disability=0.5
    ),
    "food-insecurity-severe": Profile(
        "survey", "year", 2.0, 12.0, -0.05, nested_in="food-insecurity", female=0.1, youth=0.1
    ),
    "child-stunting": Profile("survey", "year", 5.0, 24.0, -0.04, sample=70, ages=(), female=-0.15),
    "child-wasting": Profile("survey", "year", 0.8, 4.5, -0.02, sample=70, ages=(), female=-0.1),
    "food-expenditure-share": Profile("level", "year", 24.0, 56.0, -0.01, noise=0.05),
    # health
    "uhc-service-coverage": Profile("level", "year", 82.0, 58.0, 0.01, noise=0.03, decimals=1),
    "safe-drinking-water": Profile("level", "year", 97.0, 66.0, 0.01, noise=0.03),
    "safe-sanitation": Profile("level", "year", 93.0, 55.0, 0.015, noise=0.04),
    "air-pollution-mortality": Profile(
        "rate", "year", 28.0, 62.0, -0.02, ages=AGE_GROUPS, female=-0.2, elderly=2.0, youth=-1.5
    ),
    "suicide-rate": Profile("rate", "year", 4.0, 7.5, 0.03, ages=AGE_GROUPS, female=-1.2, youth=0.4, elderly=0.3),
    # environmental
    "pm25-annual-mean": Profile("level", "year", 17.0, 31.0, -0.02, noise=0.05, decimals=1),
    "disaster-affected": Profile(
        "rate", "year", 30.0, 900.0, 0.0, ages=AGE_GROUPS, female=0.05, elderly=0.2, disability=0.5
    ),
    "solid-waste-managed": Profile("level", "year", 96.0, 62.0, 0.02, noise=0.04),
    "local-drr-strategy": Profile("city", values=(0.0, 0.5, 1.0, 1.0)),
    # personal
    "homicide-rate": Profile("incidents", "year"),
    "violence-victimisation": Profile(
        "survey", "year", 8.0, 27.0, -0.03, female=0.1, youth=0.45, elderly=-0.5, disability=0.4
    ),
    "feel-safe-after-dark": Profile(
        "survey",
        "quarter",
        72.0,
        28.0,
        0.03,
        sample=140,
        female=-0.7,
        youth=-0.1,
        elderly=-0.3,
        disability=-0.5,
        season_peak=12,
        season=-0.15,
    ),
    "harassment-victims": Profile(
        "survey", "year", 9.0, 24.0, 0.02, female=1.1, youth=0.6, elderly=-0.7, disability=0.4
    ),
    "intimate-partner-violence": Profile("survey", "year", 9.0, 26.0, -0.02, sample=110, youth=0.35, elderly=-0.5),
    "non-partner-sexual-violence": Profile("survey", "year", 2.5, 8.0, 0.0, sample=120, youth=0.5, elderly=-0.8),
    "road-traffic-deaths": Profile(
        "rate", "year", 9.0, 16.0, -0.03, ages=AGE_GROUPS, female=-1.2, youth=0.5, elderly=0.4
    ),
    # community
    "discrimination-experienced": Profile("survey", "year", 11.0, 30.0, -0.01, female=0.2, youth=0.3, disability=0.8),
    "public-open-space": Profile("level", "year", 16.0, 4.0, 0.02, noise=0.1),
    "public-transport-access": Profile("survey", "year", 88.0, 42.0, 0.06, female=-0.1, elderly=-0.3, disability=-0.8),
    "audit-poor-lighting": Profile("survey", "quarter", 10.0, 55.0, -0.12, sample=18, ages=(), coverage=0.6),
    "audit-poor-visibility": Profile("survey", "quarter", 8.0, 40.0, -0.08, sample=18, ages=(), coverage=0.6),
    "resident-reports": Profile("reports", "month", 9.0, 15.0, 0.25),
    # political
    "inclusive-decision-making": Profile("survey", "year", 38.0, 15.0, 0.08, female=-0.15, youth=-0.3, disability=-0.4),
    "crime-reporting-rate": Profile("survey", "year", 22.0, 9.0, 0.1, sample=60, female=-0.1, youth=-0.3),
    "public-service-satisfaction": Profile("survey", "year", 62.0, 30.0, 0.04, disability=-0.3),
    "civil-society-participation": Profile("city", values=(0.0, 1.0, 1.0, 1.0), decimals=0),
    "report-response-days": Profile("level", "month", 3.0, 11.0, -0.12, noise=0.12, decimals=1),
    "reports-fixed-confirmed": Profile("survey", "month", 68.0, 42.0, 0.15, sample=45, ages=()),
    "recommendations-answered": Profile("survey", "quarter", 55.0, 55.0, 0.35, sample=12, ages=(), level="district"),
}


def profile_for(entry: dict[str, Any]) -> Profile:
    """The simulation of a catalogue entry: its own profile, or one guessed from its unit and links."""
    code = entry["code"]
    if entry.get("incident_categories"):
        return Profile("incidents", "month")  # not written: the incidents importer aggregates them
    if code in PROFILES:
        return PROFILES[code]
    unit = str(entry.get("unit", "")).lower()
    better = entry.get("direction") == "higher_is_better"
    if "%" in unit or "percent" in unit:
        good, bad = (80.0, 45.0) if better else (8.0, 30.0)
        return Profile("survey", "year", good, bad)
    if "per 100" in unit or entry.get("aggregation") == "rate":
        return Profile("rate", "year", 10.0, 25.0)
    if re.search(r"\b0\s*[–-]\s*1\b(?!\d)", unit) or "yes" in unit:
        return Profile("city", values=(0.0, 1.0, 1.0, 1.0))
    if "day" in unit:
        return Profile("level", "month", 3.0, 10.0, -0.05, decimals=1)
    good, bad = (80.0, 50.0) if better else (10.0, 20.0)
    return Profile("level", "year", good, bad)


def load_catalogue(path: Path = CATALOGUE_PATH) -> list[dict[str, Any]]:
    """The shipped indicator catalogue (read directly: this module must not need Django)."""
    with open(path, encoding="utf-8") as handle:
        return list(json.load(handle))


# --------------------------------------------------------------------------------------------------
# The generator


def generate(
    *,
    seed: int = SEED,
    scale: float = 1.0,
    catalogue: Iterable[dict[str, Any]] | None = None,
    indicator_codes: Iterable[str] | None = None,
) -> DemoData:
    """Generate the demo city.

    ``scale`` shrinks the city (neighbourhoods, districts and people; rates stay the same) for fast
    tests; ``scale=1`` is the documented demo. ``catalogue`` defaults to the shipped one; observations
    are made only for ``indicator_codes`` when given (the codes the city has).
    """
    if not 0 < scale <= 1:
        raise ValueError("scale must be in (0, 1]")
    entries = list(load_catalogue() if catalogue is None else catalogue)
    if indicator_codes is not None:
        wanted = set(indicator_codes)
        entries = [entry for entry in entries if entry["code"] in wanted]
    entries.sort(key=lambda entry: entry["code"])

    geo = _geography(seed, scale)
    population = _population(seed, geo)
    # The boundary file carries the first year's totals, exactly as the population table has them.
    first = population[(population.year == YEARS[0]) & (population.sex == "") & (population.age_group == "")]
    totals = dict(zip(first.area, first.population.astype(int), strict=True))
    for feature in geo["features"]["features"]:
        feature["properties"]["population"] = int(totals[feature["properties"]["code"]])
    incidents = _incidents(seed, geo, population)
    observations = _observations(seed, geo, population, incidents, entries)
    facts = {
        "seed": seed,
        "scale": scale,
        "months": month_codes(),
        "city_code": CITY_CODE,
        "districts": geo["district_codes"],
        "neighbourhoods": geo["codes"],
        "market_neighbourhood": geo["market"],
        "cluster_neighbourhoods": geo["cluster"],
        "cluster_categories": sorted(CLUSTER_CATEGORIES),
        "surge_neighbourhood": geo["surge"],
        "surge_category": SURGE_CATEGORY,
        "surge_months": month_codes()[-SURGE_MONTHS:],
        "outside_incidents": OUTSIDE_POINTS,
        "deprivation": dict(zip(geo["codes"], np.round(geo["deprivation"], 3).tolist(), strict=True)),
        "gaps": observations.attrs.get("gaps", {}),
    }
    observations.attrs.clear()
    return DemoData(
        areas=geo["features"],
        boundary=geo["boundary"],
        population=population,
        observations=observations,
        incidents=incidents,
        facts=facts,
    )


def _geography(seed: int, scale: float) -> dict[str, Any]:
    rng = _rng(seed, "geography")
    n = NEIGHBOURHOODS if scale >= 1 else max(12, round(NEIGHBOURHOODS * scale))
    k = DISTRICTS if scale >= 1 else max(3, round(DISTRICTS * scale))
    radius = 9.0 * math.sqrt(n / NEIGHBOURHOODS)
    outline = _city_outline(rng, radius)
    xy = _seed_points(rng, outline, n)
    cells = _voronoi(xy, outline)

    # Reading order (north to south in bands, then west to east) gives stable, legible codes.
    centroids = np.array([[cell.centroid.x, cell.centroid.y] for cell in cells])
    band = np.floor((centroids[:, 1].max() - centroids[:, 1]) / (radius / 4)).astype(int)
    order = np.lexsort((centroids[:, 0], band))
    cells = [cells[i] for i in order]
    centroids = centroids[order]

    # Deprivation: a south-east/north-west gradient, smooth bumps and a little local noise.
    axis = (centroids[:, 0] - centroids[:, 1]) / math.sqrt(2) / radius
    bumps = np.zeros(n)
    for _ in range(4):
        cx, cy = rng.uniform(-radius, radius, 2)
        bumps += rng.normal(0, 1) * np.exp(
            -(((centroids[:, 0] - cx) ** 2 + (centroids[:, 1] - cy) ** 2) / (0.3 * radius) ** 2)
        )
    deprivation = np.clip(0.5 + 0.38 * np.tanh(1.8 * axis) + 0.07 * bumps + rng.normal(0, 0.04, n), 0.02, 0.98)

    # People: denser in the centre and in poorer areas.
    areas_km2 = np.array([cell.area for cell in cells])
    density = (1 + 1.2 * deprivation) * (0.6 + np.exp(-((np.hypot(*centroids.T) / (0.6 * radius)) ** 2)))
    weights = areas_km2 * density * rng.lognormal(0, 0.15, n)
    people = weights / weights.sum() * CITY_POPULATION * scale

    neighbours = _adjacency(cells)
    labels = _make_contiguous(_kmeans(centroids, people, k, rng), neighbours)
    # District codes in reading order of their centres.
    district_centres = np.array([centroids[labels == j].mean(axis=0) for j in range(k)])
    district_band = np.floor((district_centres[:, 1].max() - district_centres[:, 1]) / (radius / 2)).astype(int)
    district_order = np.lexsort((district_centres[:, 0], district_band))
    rank = {int(j): r for r, j in enumerate(district_order)}
    district_of = np.array([rank[int(label)] for label in labels])
    district_codes = [f"D{r + 1:02d}" for r in range(k)]

    # Neighbourhood codes run through the districts in order.
    order = np.lexsort((np.arange(n), district_of))
    cells = [cells[i] for i in order]
    centroids, deprivation, people, district_of = (
        centroids[order],
        deprivation[order],
        people[order],
        district_of[order],
    )
    neighbours = _adjacency(cells)
    codes = [f"N{i + 1:03d}" for i in range(n)]

    # The planted market cluster: the cell at the market and the nearest cells grown through contiguity.
    distance_to_market = np.hypot(centroids[:, 0] - MARKET_XY[0], centroids[:, 1] - MARKET_XY[1])
    market = int(np.argmin(distance_to_market))
    cluster_size = min(CLUSTER_SIZE, max(3, n // 4))
    cluster = [market]
    while len(cluster) < cluster_size:
        frontier = {j for i in cluster for j in neighbours[i]} - set(cluster)
        cluster.append(min(sorted(frontier), key=lambda j: distance_to_market[j]))
    # The surge: a populous cell near the south-west point, away from the cluster.
    distance_to_surge = np.hypot(centroids[:, 0] - SURGE_XY[0], centroids[:, 1] - SURGE_XY[1])
    candidates = [
        i for i in np.argsort(distance_to_surge)[:4].tolist() if i not in cluster and i not in neighbours[market]
    ]
    surge = max(candidates, key=lambda i: people[i])

    rng_names = _rng(seed, "names")
    pool = list(_NEIGHBOURHOOD_NAMES)
    rng_names.shuffle(pool)
    pool = [name for name in pool if name != "La Merced"]
    names = []
    for i in range(n):
        names.append("La Merced" if i == market else pool[i % len(pool)] + ("" if i < len(pool) else " II"))
    used: dict[str, int] = {}
    district_names = []
    for j in range(k):
        members = district_of == j
        direction = _compass(*centroids[members].mean(axis=0))
        if market in np.flatnonzero(members):
            district_names.append("Mercado")
            continue
        choices = _DISTRICT_NAMES[direction]
        count = used.get(direction, 0)
        used[direction] = count + 1
        district_names.append(choices[count % 2] + (" " + "I" * (count // 2 + 1) if count >= 2 else ""))

    # WGS 84 polygons on a 1e-6° grid (about 0.1 m): shared edges stay shared, rings stay valid.
    lonlat_cells = [shapely.set_precision(_polygon_to_lonlat(cell), 1e-6) for cell in cells]
    districts = [
        shapely.set_precision(shapely.union_all([lonlat_cells[i] for i in np.flatnonzero(district_of == j)]), 1e-6)
        for j in range(k)
    ]
    boundary = shapely.set_precision(shapely.union_all(lonlat_cells), 1e-6)

    pop_first_year = np.round(people).astype(int)
    features = [_feature(CITY_CODE, "Ciudad Demo (synthetic)", "", "city", int(pop_first_year.sum()), boundary)]
    for j in range(k):
        members = district_of == j
        features.append(
            _feature(
                district_codes[j],
                district_names[j],
                CITY_CODE,
                "district",
                int(pop_first_year[members].sum()),
                districts[j],
            )
        )
    for i in range(n):
        features.append(
            _feature(
                codes[i],
                names[i],
                district_codes[district_of[i]],
                "neighbourhood",
                int(pop_first_year[i]),
                lonlat_cells[i],
            )
        )

    return {
        "n": n,
        "k": k,
        "radius": radius,
        "codes": codes,
        "names": names,
        "district_codes": district_codes,
        "district_names": district_names,
        "district_of": district_of,
        "centroids": centroids,
        "cells_lonlat": lonlat_cells,
        "outline_lonlat": boundary,
        "deprivation": deprivation,
        "people": people,
        "market": codes[market],
        "market_index": market,
        "cluster": sorted(codes[i] for i in cluster),
        "cluster_index": sorted(cluster),
        "surge": codes[surge],
        "surge_index": surge,
        "features": {"type": "FeatureCollection", "features": features},
        "boundary": mapping(boundary),
    }


def _feature(code: str, name: str, parent: str, level: str, population: int, geometry: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "parent": parent, "level": level, "population": population},
        "geometry": _geojson(geometry),
    }


def _geojson(geometry: Any) -> dict[str, Any]:
    """GeoJSON with coordinates rounded to 6 decimals (the precision grid of the geometry)."""

    def rounded(value: Any) -> Any:
        if isinstance(value, tuple | list):
            if value and isinstance(value[0], float | int):
                return [round(float(v), 6) for v in value]
            return [rounded(v) for v in value]
        return value

    data = mapping(shapely.orient_polygons(geometry))
    return {"type": data["type"], "coordinates": rounded(data["coordinates"])}


def _population(seed: int, geo: dict[str, Any]) -> pd.DataFrame:
    """Population by area, year, sex and age group; totals and margins are sums of the cells."""
    rng = _rng(seed, "population")
    deprivation = geo["deprivation"]
    growth = 0.003 + 0.02 * deprivation + rng.normal(0, 0.002, geo["n"])
    shares = _age_shares(deprivation)
    cells = {}  # (year) -> array (n, sex, age)
    for t, year in enumerate(YEARS):
        total = geo["people"] * (1 + growth) ** t
        by_age = total[:, None] * shares
        female = by_age * FEMALE_SHARE[None, :]
        cells[year] = np.round(np.stack([female, by_age - female], axis=1)).astype(np.int64)
    rows = []
    codes = geo["codes"]
    district_codes = geo["district_codes"]
    groups = [(code, np.array([i])) for i, code in enumerate(codes)]
    groups += [(code, np.flatnonzero(geo["district_of"] == j)) for j, code in enumerate(district_codes)]
    groups.append((CITY_CODE, np.arange(geo["n"])))
    for year in YEARS:
        for code, members in groups:
            table = cells[year][members].sum(axis=0)  # (sex, age)
            rows.append((code, year, "", "", int(table.sum())))
            for s, sex in enumerate(SEXES):
                rows.append((code, year, sex, "", int(table[s].sum())))
            for a, age in enumerate(AGE_GROUPS):
                rows.append((code, year, "", age, int(table[:, a].sum())))
            for s, sex in enumerate(SEXES):
                for a, age in enumerate(AGE_GROUPS):
                    rows.append((code, year, sex, age, int(table[s, a])))
    return pd.DataFrame(rows, columns=["area", "year", "sex", "age_group", "population"])


def _population_lookup(population: pd.DataFrame) -> dict[tuple[str, int, str, str], int]:
    return {(row.area, row.year, row.sex, row.age_group): row.population for row in population.itertuples(index=False)}


def _incidents(seed: int, geo: dict[str, Any], population: pd.DataFrame) -> pd.DataFrame:
    """Poisson counts per neighbourhood, month and category, then times and points for each event."""
    rng = _rng(seed, "incidents")
    n, months = geo["n"], month_codes()
    n_months = len(months)
    month_of_year = np.array([int(code[5:7]) for code in months])
    year_of = np.array([int(code[:4]) for code in months])
    totals = population[(population.sex == "") & (population.age_group == "")].set_index(["area", "year"])["population"]
    pop = np.array([[totals[(code, int(year))] for year in year_of] for code in geo["codes"]], dtype=float)
    deprivation = geo["deprivation"][:, None]
    centre = np.exp(-((np.hypot(*geo["centroids"].T) / 3.0) ** 2))[:, None]
    t_years = (np.arange(n_months) / 12.0)[None, :]

    market = geo["centroids"][geo["market_index"]]
    distance = np.hypot(*(geo["centroids"] - market).T)
    cluster_weight = np.zeros(n)
    cluster_weight[geo["cluster_index"]] = np.exp(-((distance[geo["cluster_index"]] / 2.5) ** 2))

    counts = np.zeros((len(CATEGORIES), n, n_months), dtype=np.int64)
    for c, category in enumerate(CATEGORIES):
        model = CATEGORY_MODELS[category]
        season = np.array(model.season)[month_of_year - 1][None, :]
        lam = (
            pop / 100_000 * model.rate / 12
            * np.exp(model.deprivation * (deprivation - 0.5))
            * np.exp(model.centre * centre)
            * (1 + model.trend) ** t_years
            * season
        )  # fmt: skip
        if category in CLUSTER_CATEGORIES:
            lam = lam * (1 + CLUSTER_CATEGORIES[category] * cluster_weight)[:, None]
        if category == SURGE_CATEGORY:
            base = lam[geo["surge_index"], -SURGE_MONTHS:].copy()
            lam[geo["surge_index"], -SURGE_MONTHS:] = base * SURGE_FACTOR
        counts[c] = rng.poisson(lam)
        if category == SURGE_CATEGORY:
            # The planted surge is at least SURGE_FACTOR times the expected level, whatever the draw.
            floor = np.ceil(base * SURGE_FACTOR).astype(np.int64)
            counts[c, geo["surge_index"], -SURGE_MONTHS:] = np.maximum(
                counts[c, geo["surge_index"], -SURGE_MONTHS:], floor
            )

    cat_idx, area_idx, month_idx = np.nonzero(counts)
    repeat = counts[cat_idx, area_idx, month_idx]
    cat_idx, area_idx, month_idx = np.repeat(cat_idx, repeat), np.repeat(area_idx, repeat), np.repeat(month_idx, repeat)
    total = cat_idx.size

    # When: a uniform day of the month and a category-typical hour.
    first_day = pd.to_datetime(pd.Series(months) + "-01").to_numpy()
    days_in_month = pd.to_datetime(pd.Series(months) + "-01").dt.days_in_month.to_numpy()
    day = np.floor(rng.uniform(0, 1, total) * days_in_month[month_idx]).astype(np.int64)
    peak = np.array([CATEGORY_MODELS[c].hours[0] for c in CATEGORIES])[cat_idx]
    spread = np.array([CATEGORY_MODELS[c].hours[1] for c in CATEGORIES])[cat_idx]
    hour = np.where(rng.uniform(size=total) < 0.8, peak + rng.normal(0, 1, total) * spread, rng.uniform(0, 24, total))
    seconds = np.floor((hour % 24) * 3600 / 60).astype(np.int64) * 60
    occurred = first_day[month_idx] + (day * 86400 + seconds).astype("timedelta64[s]")

    # Where: uniformly inside the neighbourhood, tested on the rounded coordinates that are written.
    lon = np.empty(total)
    lat = np.empty(total)
    for i in range(n):
        chosen = np.flatnonzero(area_idx == i)
        lon[chosen], lat[chosen] = _points_in(geo["cells_lonlat"][i], chosen.size, rng)

    # Who (where a victim is recorded).
    victim_sex = np.full(total, "", dtype=object)
    victim_age = np.full(total, "", dtype=object)
    for c, category in enumerate(CATEGORIES):
        model = CATEGORY_MODELS[category]
        chosen = np.flatnonzero(cat_idx == c)
        if model.female is None or not chosen.size:
            continue
        victim_sex[chosen] = np.where(rng.uniform(size=chosen.size) < model.female, "female", "male")
        other = (1 - model.youth) / 4
        victim_age[chosen] = rng.choice(
            np.array(AGE_GROUPS, dtype=object), size=chosen.size, p=[other, model.youth, 2 * other, other]
        )

    frame = pd.DataFrame(
        {
            "occurred_at": occurred,
            "category": np.array(CATEGORIES, dtype=object)[cat_idx],
            "lat": np.round(lat, 6),
            "lon": np.round(lon, 6),
            "victim_sex": victim_sex,
            "victim_age_group": victim_age,
            "area": np.array(geo["codes"], dtype=object)[area_idx],
        }
    )
    frame = pd.concat([frame, _outside_points(rng, geo)], ignore_index=True)
    frame = frame.sort_values(["occurred_at", "category", "lat", "lon"], kind="stable", ignore_index=True)
    frame.insert(0, "id", [f"DEMO-{i + 1:06d}" for i in range(len(frame))])
    frame["occurred_at"] = frame["occurred_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame["month"] = frame["occurred_at"].str.slice(0, 7)
    return frame


def _points_in(polygon: Polygon, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = polygon.bounds
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    have = 0
    while have < count:
        x = np.round(rng.uniform(minx, maxx, 2 * (count - have) + 16), 6)
        y = np.round(rng.uniform(miny, maxy, x.size), 6)
        inside = shapely.contains_xy(polygon, x, y)
        lons.append(x[inside])
        lats.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(lons)[:count], np.concatenate(lats)[:count]


def _outside_points(rng: np.random.Generator, geo: dict[str, Any]) -> pd.DataFrame:
    """A handful of collisions on the highways beyond the city limits (kept, reported as unassigned)."""
    boundary = geo["outline_lonlat"]
    months = month_codes()
    rows = []
    while len(rows) < OUTSIDE_POINTS:
        angle = rng.uniform(0, 2 * np.pi)
        distance_km = geo["radius"] * 1.25 + rng.uniform(1.5, 4.0)
        x, y = distance_km * math.cos(angle), distance_km * math.sin(angle)
        lon, lat = _to_lonlat(np.array([x]), np.array([y]))
        lon_r, lat_r = round(float(lon[0]), 6), round(float(lat[0]), 6)
        if boundary.buffer(0.005).contains(Point(lon_r, lat_r)):
            continue
        month = months[int(rng.integers(0, len(months)))]
        stamp = np.datetime64(f"{month}-01T00:00:00") + np.timedelta64(int(rng.integers(0, 27 * 86400 // 60)) * 60, "s")
        rows.append((stamp, "traffic_collision", lat_r, lon_r, "male", "30-59", ""))
    frame = pd.DataFrame(
        rows, columns=["occurred_at", "category", "lat", "lon", "victim_sex", "victim_age_group", "area"]
    )
    frame["occurred_at"] = frame["occurred_at"].astype("datetime64[s]")
    return frame


# --------------------------------------------------------------------------------------------------
# Observations


def _periods(frequency: str) -> list[str]:
    if frequency == "month":
        return month_codes()
    if frequency == "quarter":
        return [f"{year}Q{q}" for year in YEARS for q in range(1, 5)]
    return [str(year) for year in YEARS]


def _period_years(periods: Sequence[str]) -> np.ndarray:
    """Years since the start, at each period's middle."""
    out = []
    for code in periods:
        year = int(code[:4])
        if len(code) == 4:
            frac = 0.5
        elif "Q" in code:
            frac = (int(code[-1]) - 0.5) / 4
        else:
            frac = (int(code[5:7]) - 0.5) / 12
        out.append(year - YEARS[0] + frac)
    return np.array(out)


def _period_month(code: str) -> int:
    if "Q" in code:
        return int(code[-1]) * 3 - 1
    if len(code) == 7:
        return int(code[5:7])
    return 6


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


OBSERVATION_COLUMNS = [
    "indicator",
    "area",
    "period",
    "value",
    "sex",
    "age_group",
    "disability",
    "numerator",
    "denominator",
    "quality",
    "source",
]


def _observations(
    seed: int, geo: dict[str, Any], population: pd.DataFrame, incidents: pd.DataFrame, entries: list[dict[str, Any]]
) -> pd.DataFrame:
    pops = _population_lookup(population)
    frames = []
    gaps: dict[str, Any] = {}
    numerators: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for entry in entries:
        profile = profile_for(entry)
        rng = _rng(seed, "indicator:" + entry["code"])
        dis = [d for d in entry.get("disaggregations") or [] if d in ("sex", "age_group", "disability")]
        if entry.get("incident_categories"):
            # The incidents importer counts these itself (per area and month) from the loaded incidents.
            continue
        if profile.kind == "incidents":
            frame = _from_incidents(entry, profile, geo, pops, incidents, dis)
        elif profile.kind == "survey":
            frame = _survey(entry, profile, geo, pops, rng, dis, numerators)
        elif profile.kind == "rate":
            frame = _rate(entry, profile, geo, pops, rng, dis)
        elif profile.kind == "reports":
            frame = _reports(entry, profile, geo, pops, rng)
        elif profile.kind == "city":
            frame = _city_values(entry, profile)
        else:
            frame = _level(entry, profile, geo, rng)
        frame, dropped = _with_gaps(frame, profile, geo, rng)
        if dropped:
            gaps[entry["code"]] = dropped
        frames.append(frame)
    if frames:
        result = pd.concat(frames, ignore_index=True)[OBSERVATION_COLUMNS]
    else:
        result = pd.DataFrame(columns=OBSERVATION_COLUMNS)
    result.attrs["gaps"] = gaps
    return result


def _badness(geo: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Deprivation as this indicator sees it: the shared gradient plus the indicator's own noise."""
    return np.clip(geo["deprivation"] + rng.normal(0, 0.06, geo["n"]), 0, 1)


_TEMPLATE = {"sex": "", "age_group": "", "disability": "", "numerator": "", "denominator": "", "quality": "official"}


def _source(entry: dict[str, Any], profile: Profile) -> str:
    if profile.kind == "incidents":
        return "SYNTHETIC: demo incidents"
    if profile.kind == "survey":
        return "SYNTHETIC: demo survey"
    return "SYNTHETIC: demo"


def _survey(
    entry: dict[str, Any],
    profile: Profile,
    geo: dict[str, Any],
    pops: dict[tuple[str, int, str, str], int],
    rng: np.random.Generator,
    dis: list[str],
    numerators: dict[str, tuple[np.ndarray, np.ndarray]],
) -> pd.DataFrame:
    """Shares from simulated respondents: subgroup numerators add up to the total, so margins agree.

    Respondents are drawn per (area, period) by sex × age group × disability in proportion to the
    population, and each answers "yes" with a probability from the area's deprivation, the trend, the
    season and the subgroup's offsets. Arrays are (area, period, sex, age group, disability).
    """
    periods = _periods(profile.frequency)
    t = _period_years(periods)
    if profile.level == "district":
        codes = geo["district_codes"]
        badness = np.array([geo["deprivation"][geo["district_of"] == j].mean() for j in range(geo["k"])])
    else:
        codes = geo["codes"]
        badness = _badness(geo, rng)
    ages = list(profile.ages) or [""]
    sexes = ["female"] if "women" in str(entry.get("unit", "")) else list(SEXES)
    shape = (len(codes), len(periods), len(sexes), len(ages), 2)
    parent = numerators.get(profile.nested_in) if profile.nested_in else None
    if parent is not None and parent[0].shape == shape:
        # A subset of the parent's "yes" answers (severe within moderate-or-severe), same respondents.
        parent_yes, n_cell = parent
        share = np.clip(0.18 + 0.2 * badness[:, None] + profile.trend * t[None, :], 0.05, 0.9)
        yes = rng.binomial(parent_yes, share[:, :, None, None, None])
    else:
        base = _logit(profile.good / 100) + (_logit(profile.bad / 100) - _logit(profile.good / 100)) * badness
        season = np.zeros(len(periods))
        if profile.season_peak:
            gap = np.array([(_period_month(period) - profile.season_peak) % 12 for period in periods])
            season = profile.season * np.cos(2 * np.pi * gap / 12)
        logit = (
            base[:, None]
            + rng.normal(0, 0.12, len(codes))[:, None]
            + profile.trend * t[None, :]
            + season[None, :]
            + rng.normal(0, 0.05, shape[:2])
        )
        sample = np.maximum(5, rng.poisson(profile.sample, shape[:2]))
        years = [int(period[:4]) for period in periods]
        weights = np.array(
            [
                [[[pops.get((code, year, sex, age), 1) for age in ages] for sex in sexes] for year in years]
                for code in codes
            ],
            dtype=float,
        )
        weights /= weights.sum(axis=(2, 3), keepdims=True)
        weights = weights[..., None] * np.array([DISABILITY_SHARE, 1 - DISABILITY_SHARE])
        n_cell = rng.multinomial(sample, weights.reshape(*shape[:2], -1)).reshape(shape)
        effect = np.zeros(shape[2:])
        for i, sex in enumerate(sexes):
            effect[i] += profile.female if sex == "female" else -profile.female / 2
        for i, age in enumerate(ages):
            effect[:, i] += profile.youth if age in ("0-14", "15-29") else profile.elderly if age == "60+" else 0.0
        effect[:, :, 0] += profile.disability
        yes = rng.binomial(n_cell, _expit(logit[:, :, None, None, None] + effect))
    numerators[entry["code"]] = (yes, n_cell)

    # (sex, age group, disability, numerators (area, period), denominators (area, period))
    parts = [("", "", "", yes.sum(axis=(2, 3, 4)), n_cell.sum(axis=(2, 3, 4)))]
    if "sex" in dis and len(sexes) > 1:
        parts += [
            (sex, "", "", yes[:, :, i].sum(axis=(2, 3)), n_cell[:, :, i].sum(axis=(2, 3)))
            for i, sex in enumerate(sexes)
        ]
    if "age_group" in dis and ages != [""]:
        parts += [
            ("", age, "", yes[:, :, :, i].sum(axis=(2, 3)), n_cell[:, :, :, i].sum(axis=(2, 3)))
            for i, age in enumerate(ages)
        ]
    if "disability" in dis:
        parts += [
            ("", "", label, yes[..., i].sum(axis=(2, 3)), n_cell[..., i].sum(axis=(2, 3)))
            for i, label in enumerate(DISABILITY)
        ]
    area = np.repeat(np.array(codes, dtype=object), len(periods))
    period = np.tile(np.array(periods, dtype=object), len(codes))
    frames = [
        pd.DataFrame(
            {
                "area": area,
                "period": period,
                "sex": sex,
                "age_group": age,
                "disability": disability,
                "numerator": num.ravel(),
                "denominator": den.ravel(),
                "order": order,
            }
        )
        for order, (sex, age, disability, num, den) in enumerate(parts)
    ]
    # Rows grouped by area and period, the total first, as a statistics office would publish them.
    frame = pd.concat(frames, ignore_index=True).sort_values(["area", "period", "order"], kind="stable")
    frame = frame[frame.denominator > 0].drop(columns="order").reset_index(drop=True)
    frame["value"] = (100 * frame.numerator / frame.denominator).round(profile.decimals)
    frame["numerator"] = frame["numerator"].astype(int).astype(str)
    frame["denominator"] = frame["denominator"].astype(int).astype(str)
    frame["indicator"] = entry["code"]
    frame["quality"] = "official" if not entry["code"].startswith("audit-") else "community"
    frame["source"] = _source(entry, profile)
    return frame


def _level(entry: dict[str, Any], profile: Profile, geo: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """A continuous value: the gradient, a trend, a season and noise, kept inside the unit's range."""
    periods = _periods(profile.frequency)
    t = _period_years(periods)
    badness = _badness(geo, rng)
    base = profile.good + (profile.bad - profile.good) * badness
    trend = (1 + profile.trend) ** t
    season = np.array(
        [
            1 + profile.season * math.cos(2 * math.pi * (_period_month(p) - profile.season_peak) / 12)
            if profile.season_peak
            else 1.0
            for p in periods
        ]
    )
    noise = rng.normal(0, profile.noise, (geo["n"], len(periods)))
    area_noise = rng.normal(0, profile.noise / 2, (geo["n"], 1))
    values = base[:, None] * trend[None, :] * season[None, :] * np.exp(noise + area_noise)
    unit = str(entry.get("unit", ""))
    if "%" in unit or "0–100" in unit or "0-100" in unit:
        values = np.clip(values, 0.0, 100.0)
    values = np.maximum(values, 0.0)
    area = np.repeat(np.array(geo["codes"], dtype=object), len(periods))
    frame = pd.DataFrame(
        {
            "area": area,
            "period": np.tile(np.array(periods, dtype=object), geo["n"]),
            "value": values.ravel().round(profile.decimals),
        }
    )
    frame = frame.assign(**_TEMPLATE, indicator=entry["code"], source=_source(entry, profile))
    return frame


def _rate(
    entry: dict[str, Any],
    profile: Profile,
    geo: dict[str, Any],
    pops: dict[tuple[str, int, str, str], int],
    rng: np.random.Generator,
    dis: list[str],
) -> pd.DataFrame:
    """Rates per population from Poisson counts in each subgroup; margins are sums of the same counts."""
    per = float(entry.get("rate_per") or 100_000)
    periods = _periods(profile.frequency)
    t = _period_years(periods)
    badness = _badness(geo, rng)
    level = np.exp(np.log(profile.good) + (np.log(profile.bad) - np.log(profile.good)) * badness)
    # Persons affected by disasters come in bad flood seasons: 2024 was one.
    year_factor = {2022: 0.6, 2023: 0.4, 2024: 2.5, 2025: 0.8} if entry["code"] == "disaster-affected" else {}
    ages = list(AGE_GROUPS)
    rows = []
    for a_i, code in enumerate(geo["codes"]):
        for p_i, period in enumerate(periods):
            year = int(period[:4])
            pop = np.array([[pops[(code, year, sex, age)] for age in ages] for sex in SEXES], dtype=float)
            rel = np.ones_like(pop)
            rel[0] *= math.exp(profile.female)
            for a, age in enumerate(ages):
                rel[:, a] *= math.exp(profile.youth if age == "15-29" else profile.elderly if age == "60+" else 0.0)
            rel = rel / (rel * pop).sum() * pop.sum()
            expected = pop / per * level[a_i] * rel * (1 + profile.trend) ** t[p_i] * year_factor.get(year, 1.0)
            with_dis = rng.poisson(expected * DISABILITY_SHARE * math.exp(profile.disability))
            without = rng.poisson(expected * (1 - DISABILITY_SHARE))
            counts = with_dis + without
            rows.append((code, period, "", "", "", counts.sum(), pop.sum()))
            if "sex" in dis:
                for s, sex in enumerate(SEXES):
                    rows.append((code, period, sex, "", "", counts[s].sum(), pop[s].sum()))
            if "age_group" in dis:
                for a, age in enumerate(ages):
                    rows.append((code, period, "", age, "", counts[:, a].sum(), pop[:, a].sum()))
            if "disability" in dis:
                rows.append((code, period, "", "", DISABILITY[0], with_dis.sum(), round(pop.sum() * DISABILITY_SHARE)))
                rows.append(
                    (code, period, "", "", DISABILITY[1], without.sum(), round(pop.sum() * (1 - DISABILITY_SHARE)))
                )
    return _rate_frame(entry, profile, rows, per)


def _rate_frame(entry: dict[str, Any], profile: Profile, rows: list[tuple[Any, ...]], per: float) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["area", "period", "sex", "age_group", "disability", "numerator", "denominator"])
    frame = frame[frame.denominator > 0].copy()
    frame["value"] = (frame.numerator / frame.denominator * per).round(4)
    frame["numerator"] = frame["numerator"].astype(int).astype(str)
    frame["denominator"] = frame["denominator"].astype(int).astype(str)
    frame["indicator"] = entry["code"]
    frame["quality"] = "official"
    frame["source"] = _source(entry, profile)
    return frame


def _from_incidents(
    entry: dict[str, Any],
    profile: Profile,
    geo: dict[str, Any],
    pops: dict[tuple[str, int, str, str], int],
    incidents: pd.DataFrame,
    dis: list[str],
) -> pd.DataFrame:
    """Counted from the demo's own incidents per neighbourhood and period (e.g. the yearly homicide rate)."""
    categories = entry.get("incident_categories") or ["homicide"]
    chosen = incidents[incidents.category.isin(categories) & (incidents.area != "")]
    periods = _periods(profile.frequency)
    key = chosen.month if profile.frequency == "month" else chosen.month.str.slice(0, 4)
    rate = entry.get("aggregation") == "rate"
    per = float(entry.get("rate_per") or 100_000)
    groups: list[tuple[str, str, str, pd.Series]] = [("", "", "", chosen.groupby([chosen.area, key]).size())]
    if "sex" in dis:
        for sex in SEXES:
            part = chosen[chosen.victim_sex == sex]
            groups.append((sex, "", "", part.groupby([part.area, key[part.index]]).size()))
    if "age_group" in dis and profile.frequency != "month":
        # Monthly counts per neighbourhood by age group would be mostly zeros: by age only yearly.
        for age in AGE_GROUPS:
            part = chosen[chosen.victim_age_group == age]
            groups.append(("", age, "", part.groupby([part.area, key[part.index]]).size()))
    rows = []
    for sex, age, disability, series in groups:
        counts = series.to_dict()
        for code in geo["codes"]:
            for period in periods:
                count = int(counts.get((code, period), 0))
                denominator = pops[(code, int(period[:4]), sex, age)]
                rows.append((code, period, sex, age, disability, count, denominator))
    if rate:
        return _rate_frame(entry, profile, rows, per)
    frame = pd.DataFrame(rows, columns=["area", "period", "sex", "age_group", "disability", "numerator", "denominator"])
    frame["value"] = frame["numerator"].astype(float)
    frame["numerator"] = ""
    frame["denominator"] = ""
    frame["indicator"] = entry["code"]
    frame["quality"] = "official"
    frame["source"] = _source(entry, profile)
    return frame


def _reports(
    entry: dict[str, Any],
    profile: Profile,
    geo: dict[str, Any],
    pops: dict[tuple[str, int, str, str], int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Resident reports per 10,000: the platform was adopted over time (volume, never a crime rate)."""
    per = float(entry.get("rate_per") or 10_000)
    periods = _periods(profile.frequency)
    t = _period_years(periods)
    badness = _badness(geo, rng)
    rows = []
    for a_i, code in enumerate(geo["codes"]):
        level = profile.good + (profile.bad - profile.good) * badness[a_i]
        for p_i, period in enumerate(periods):
            pop = pops[(code, int(period[:4]), "", "")]
            adoption = min(1.0, 0.35 + profile.trend * t[p_i])
            count = int(rng.poisson(pop / per * level * adoption))
            rows.append((code, period, "", "", "", count, pop))
    return _rate_frame(entry, profile, rows, per).assign(quality="community")


def _city_values(entry: dict[str, Any], profile: Profile) -> pd.DataFrame:
    rows = [
        {"area": CITY_CODE, "period": str(year), "value": round(float(value), profile.decimals)}
        for year, value in zip(YEARS, profile.values, strict=False)
    ]
    return pd.DataFrame(rows).assign(**_TEMPLATE, indicator=entry["code"], source=_source(entry, profile))


def _with_gaps(
    frame: pd.DataFrame, profile: Profile, geo: dict[str, Any], rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Missing data as real cities have it: random missing cells and, monthly, a reporting outage."""
    if profile.kind in ("incidents", "city") or frame.empty:
        return frame.reset_index(drop=True), {}
    cells = frame[["area", "period"]].drop_duplicates().reset_index(drop=True)
    missing = rng.uniform(size=len(cells)) > min(profile.coverage, 0.97)
    dropped: dict[str, Any] = {"cells": int(missing.sum())}
    drop = set(map(tuple, cells[missing].to_numpy().tolist()))
    if profile.frequency == "month" and geo["k"] >= 3:
        district = geo["district_codes"][int(rng.integers(0, geo["k"]))]
        start = int(rng.integers(6, MONTHS - 9))
        outage = month_codes()[start : start + 3]
        members = [
            code
            for code, j in zip(geo["codes"], geo["district_of"], strict=True)
            if geo["district_codes"][j] == district
        ]
        drop |= {(code, period) for code in members for period in outage}
        dropped["outage"] = {"district": district, "months": outage}
    keep = [(a, p) not in drop for a, p in zip(frame.area, frame.period, strict=True)]
    return frame[keep].reset_index(drop=True), dropped


# --------------------------------------------------------------------------------------------------
# Files


def write_files(data: DemoData, directory: Path | str) -> dict[str, Path]:
    """Write the import files; returns ``{"areas": …, "population": …, "observations": …, "incidents": …}``.

    Byte-identical for identical data (fixed column order, fixed float formatting, ``\\n`` line ends).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "areas": directory / "demo-areas.geojson",
        "population": directory / "demo-population.csv",
        "observations": directory / "demo-observations.csv",
        "incidents": directory / "demo-incidents.csv",
    }
    paths["areas"].write_text(json.dumps(data.areas, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    data.population.to_csv(paths["population"], index=False, lineterminator="\n")
    data.observations.to_csv(paths["observations"], index=False, lineterminator="\n")
    columns = ["id", "occurred_at", "category", "lat", "lon", "victim_sex", "victim_age_group"]
    data.incidents[columns].to_csv(paths["incidents"], index=False, lineterminator="\n", float_format="%.6f")
    return paths
