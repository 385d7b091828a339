"""A small test city: three square neighbourhoods in a row inside a city area, with index results,
observations (one small count to be suppressed), an alert and a hot-spot result."""

from __future__ import annotations

from datetime import date

from safercities.indicators.models import Indicator, Observation
from safercities.monitoring.models import Alert, HotspotResult, IndexDefinition, IndexResult
from safercities.places.models import Area, City

LON0, LAT0, SIDE = -98.2, 19.0, 0.01
NAMES = {"A1": "Alameda", "A2": "Barrio Bravo", "A3": "Centro Claro"}


def square(i: int, size: float = SIDE) -> dict:
    x0 = LON0 + i * size
    ring = [[x0, LAT0], [x0 + size, LAT0], [x0 + size, LAT0 + size], [x0, LAT0 + size], [x0, LAT0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _area(city: City, code: str, name: str, level: str, geometry: dict, parent: Area | None = None) -> Area:
    ring = geometry["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return Area.objects.create(
        city=city,
        code=code,
        name=name,
        level=level,
        parent=parent,
        geometry=geometry,
        centroid_lon=sum(lons[:-1]) / 4,
        centroid_lat=sum(lats[:-1]) / 4,
        min_lon=min(lons),
        max_lon=max(lons),
        min_lat=min(lats),
        max_lat=max(lats),
        area_km2=1.0,
    )


def _obs(city: City, indicator: Indicator, area: Area, value: float, year: int = 2024, **extra) -> Observation:
    return Observation.objects.create(
        city=city,
        indicator=indicator,
        area=area,
        period=str(year),
        period_type="year",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        value=value,
        **extra,
    )


def build_small_city(city: City) -> dict:
    whole = {
        "type": "Polygon",
        "coordinates": [
            [[LON0, LAT0], [LON0 + 3 * SIDE, LAT0], [LON0 + 3 * SIDE, LAT0 + SIDE], [LON0, LAT0 + SIDE], [LON0, LAT0]]
        ],
    }
    top = _area(city, "C", city.name, "city", whole)
    areas = [
        _area(city, code, name, "neighbourhood", square(i), parent=top) for i, (code, name) in enumerate(NAMES.items())
    ]
    fires = Indicator.objects.get(city=city, code="fire-incidents")  # a count ("sum")
    unemployment = Indicator.objects.get(city=city, code="unemployment-rate")
    for area, value in zip(areas, [3, 12, 20], strict=True):
        _obs(city, fires, area, value)
    for year, values in ((2023, [7.0, 9.0, 12.0]), (2024, [6.5, 9.5, 14.0])):
        for area, value in zip(areas, values, strict=True):
            _obs(city, unemployment, area, value, year=year, numerator=value * 10, denominator=1000)
    _obs(city, unemployment, areas[2], 21.0, sex="female", numerator=42, denominator=200)
    _obs(city, unemployment, areas[2], 8.0, sex="male", numerator=16, denominator=200)
    _obs(city, unemployment, areas[2], 1.0, disability="with_disability", numerator=2, denominator=200)
    hidden = Indicator.objects.get(city=city, code="suicide-rate")
    hidden.is_public = False
    hidden.save(update_fields=["is_public"])
    _obs(city, hidden, areas[0], 77.7)
    definition = IndexDefinition.objects.create(
        city=city, slug="hsi", name="Composite Human Security Index", is_default=True
    )
    scores = [(areas[0], 2.5, 3, 2, 3), (areas[1], 5.0, 2, 2, 3), (areas[2], 8.2, 1, 1, 1)]
    for area, score, rank, low, high in scores:
        dims = {
            "economic": score,
            "food": None,
            "health": score / 2,
            "environmental": 1.0,
            "personal": score,
            "community": 3.0,
            "political": None,
        }
        IndexResult.objects.create(
            city=city,
            definition=definition,
            area=area,
            period="2024",
            level="neighbourhood",
            score=score,
            rank=rank,
            rank_low=low,
            rank_high=high,
            dimensions=dims,
        )
    Alert.objects.create(
        city=city,
        indicator=fires,
        area=areas[0],
        period="2024-12",
        kind=Alert.EXCEEDANCE,
        severity=Alert.RED,
        observed=3,
        expected=1.2,
        upper=2.5,
        explanation="observed 3 against 1.2 expected",
    )
    HotspotResult.objects.create(
        city=city,
        indicator=fires,
        period="2024",
        unit="neighbourhood",
        weights="queen",
        units=[
            {"code": "A1", "value": 3, "gi_z": -1.0, "gi_p": 0.3, "hotspot": None, "lisa": None},
            {"code": "A2", "value": 12, "gi_z": 1.0, "gi_p": 0.2, "hotspot": None, "lisa": None},
            {"code": "A3", "value": 20, "gi_z": 2.5, "gi_p": 0.01, "hotspot": "hot", "lisa": "HH"},
        ],
    )
    return {"areas": areas, "city_area": top, "fires": fires, "unemployment": unemployment, "hidden": hidden}
