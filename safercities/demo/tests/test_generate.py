"""Properties of the generated demo city (pure: no database).

The full-size city is generated once per module (a few seconds), hence the ``slow`` marks.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from safercities.demo import generate as g
from safercities.indicators.models import DIMENSION_CODES


@pytest.fixture(scope="module")
def full() -> g.DemoData:
    return g.generate()


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict]:
    return {entry["code"]: entry for entry in g.load_catalogue()}


def _features(data: g.DemoData, level: str) -> list[dict]:
    return [f for f in data.areas["features"] if f["properties"]["level"] == level]


def test_small_generation_is_byte_identical(tmp_path):
    first = g.write_files(g.generate(scale=0.05), tmp_path / "a")
    second = g.write_files(g.generate(scale=0.05), tmp_path / "b")
    for kind in first:
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind


def test_another_seed_gives_another_city():
    a, b = g.generate(scale=0.12), g.generate(scale=0.12, seed=7)
    assert (
        a.incidents[["lat", "lon"]].head(50).to_numpy().tolist()
        != b.incidents[["lat", "lon"]].head(50).to_numpy().tolist()
    )


@pytest.mark.slow
def test_full_generation_is_deterministic(full, tmp_path):
    again = g.generate()
    pd.testing.assert_frame_equal(full.incidents, again.incidents)
    pd.testing.assert_frame_equal(full.observations, again.observations)
    pd.testing.assert_frame_equal(full.population, again.population)
    assert json.dumps(full.areas) == json.dumps(again.areas)
    assert full.facts == again.facts


@pytest.mark.slow
def test_hierarchy_counts_and_polygons(full):
    districts, neighbourhoods = _features(full, "district"), _features(full, "neighbourhood")
    assert len(_features(full, "city")) == 1
    assert len(districts) >= 8
    assert len(neighbourhoods) >= 100
    codes = {f["properties"]["code"] for f in districts}
    assert {f["properties"]["parent"] for f in neighbourhoods} == codes
    assert {f["properties"]["parent"] for f in districts} == {g.CITY_CODE}
    polygons = [shape(f["geometry"]) for f in neighbourhoods]
    assert all(p.is_valid and p.geom_type == "Polygon" and p.area > 0 for p in polygons)
    # Not a square grid: cells have varied numbers of vertices and varied sizes.
    vertex_counts = {len(p.exterior.coords) for p in polygons}
    assert len(vertex_counts) >= 4
    areas = np.array([p.area for p in polygons])
    assert areas.std() / areas.mean() > 0.15
    # A partition: no overlaps, and together they are the city's boundary.
    city = shape(full.boundary)
    assert abs(sum(areas) - city.area) / city.area < 1e-6
    assert abs(shapely.union_all(polygons).area - city.area) / city.area < 1e-6
    # Each district is the union of its neighbourhoods, in one piece.
    for district in districts:
        code = district["properties"]["code"]
        members = [p for p, f in zip(polygons, neighbourhoods, strict=True) if f["properties"]["parent"] == code]
        geometry = shape(district["geometry"])
        assert geometry.geom_type == "Polygon", code
        assert abs(shapely.union_all(members).area - geometry.area) / geometry.area < 1e-6
    # Around the fictional city's centre in Mexico.
    assert abs(city.centroid.y - g.CENTRE_LAT) < 0.05 and abs(city.centroid.x - g.CENTRE_LON) < 0.05


@pytest.mark.slow
def test_population_is_consistent_and_youth_is_visible(full):
    pop = full.population
    assert set(pop.year) == set(g.YEARS)
    assert set(pop.age_group) == {"", *g.AGE_GROUPS}
    total = pop[(pop.sex == "") & (pop.age_group == "")].set_index(["area", "year"]).population
    cells = pop[(pop.sex != "") & (pop.age_group != "")].groupby(["area", "year"]).population.sum()
    pd.testing.assert_series_equal(total.sort_index(), cells.sort_index(), check_names=False)
    by_age = pop[(pop.sex == "") & (pop.age_group != "")].groupby(["area", "year"]).population.sum()
    pd.testing.assert_series_equal(total.sort_index(), by_age.sort_index(), check_names=False)
    assert 900_000 < total[(g.CITY_CODE, 2022)] < 1_100_000
    # Poorer neighbourhoods are younger.
    youth = pop[(pop.sex == "") & (pop.age_group == "0-14") & (pop.year == 2025)].set_index("area").population
    share = (youth / total.xs(2025, level="year")).dropna()
    deprivation = pd.Series(full.facts["deprivation"])
    assert np.corrcoef(deprivation.sort_index(), share[deprivation.index].sort_index())[0, 1] > 0.5
    # The boundary file's population is the first year's total.
    for feature in full.areas["features"]:
        assert feature["properties"]["population"] == total[(feature["properties"]["code"], 2022)]


@pytest.mark.slow
def test_observations_cover_thirty_indicators_seven_dimensions_four_years(full, catalogue):
    obs = full.observations
    indicators = set(obs.indicator)
    assert len(indicators) >= 30
    assert {catalogue[code]["dimension"] for code in indicators} == set(DIMENSION_CODES)
    assert indicators <= set(catalogue)
    for code, periods in obs.groupby("indicator").period:
        first, last = min(periods), max(periods)
        assert first.startswith("2022") and last.startswith("2025"), code  # 36+ months spanned
    monthly = obs[obs.period.str.len() == 7]
    assert monthly.period.nunique() == 48
    assert monthly.indicator.nunique() >= 3
    assert set(obs.period[obs.period.str.contains("Q")]) == {f"{y}Q{q}" for y in g.YEARS for q in range(1, 5)}


@pytest.mark.slow
def test_observations_are_plausible_in_their_units(full, catalogue):
    obs = full.observations
    for code, values in obs.groupby("indicator").value:
        unit = catalogue[code]["unit"]
        assert values.notna().all() and (values >= 0).all(), code
        if unit.startswith("%") or "0–100" in unit:
            assert values.max() <= 100, code
        if unit.startswith("share (0–1)") or "yes" in unit:
            assert set(values) <= {0.0, 0.5, 1.0}, code
    pm25 = obs[(obs.indicator == "pm25-annual-mean")].value
    assert 8 < pm25.median() < 40


@pytest.mark.slow
def test_disaggregations_follow_the_catalogue_and_add_up(full, catalogue):
    obs = full.observations
    for code, rows in obs.groupby("indicator"):
        allowed = set(catalogue[code].get("disaggregations") or [])
        for column in ("sex", "age_group", "disability"):
            if (rows[column] != "").any():
                assert column in allowed, (code, column)
    unemployment = obs[obs.indicator == "unemployment-rate"]
    assert set(unemployment.sex) == {"", "female", "male"}
    assert set(unemployment.disability) == {"", "with_disability", "without_disability"}
    # Survey numerators of the sexes add up to the total's.
    cell = unemployment[(unemployment.area == "N001") & (unemployment.period == "2024Q2")]
    total = cell[(cell.sex == "") & (cell.age_group == "") & (cell.disability == "")]
    by_sex = cell[cell.sex != ""]
    if len(total):
        assert by_sex.numerator.astype(int).sum() == int(total.numerator.iloc[0])
    # Youth unemployment is higher than adults'.
    youth = unemployment[unemployment.age_group == "15-29"]
    adults = unemployment[unemployment.age_group == "30-59"]
    assert youth.numerator.astype(int).sum() / youth.denominator.astype(int).sum() > (
        adults.numerator.astype(int).sum() / adults.denominator.astype(int).sum()
    )


@pytest.mark.slow
def test_there_are_gaps(full):
    obs = full.observations
    monthly = obs[(obs.indicator == "report-response-days")]
    expected = len(full.facts["neighbourhoods"]) * 48
    assert 0.8 * expected < len(monthly) < expected
    outage = full.facts["gaps"]["report-response-days"]["outage"]
    in_outage = monthly[monthly.period.isin(outage["months"])]
    assert len(in_outage) < len(full.facts["neighbourhoods"]) * len(outage["months"])


@pytest.mark.slow
def test_spatial_structure_south_east_is_worse(full):
    obs = full.observations
    centroids = {f["properties"]["code"]: shape(f["geometry"]).centroid for f in _features(full, "neighbourhood")}
    south_east = {code for code, c in centroids.items() if (c.x - g.CENTRE_LON) - (c.y - g.CENTRE_LAT) > 0}
    totals = obs[(obs.sex == "") & (obs.age_group == "") & (obs.disability == "")]
    for code, worse in (("unemployment-rate", True), ("feel-safe-after-dark", False), ("inadequate-housing", True)):
        rows = totals[totals.indicator == code]
        se = rows[rows.area.isin(south_east)].value.mean()
        nw = rows[~rows.area.isin(south_east)].value.mean()
        assert (se > nw) if worse else (se < nw), code


@pytest.mark.slow
def test_incidents_count_categories_and_times(full):
    incidents = full.incidents
    assert len(incidents) >= 100_000
    assert set(incidents.category) == set(g.CATEGORIES)
    assert incidents.id.is_unique
    assert incidents.occurred_at.min() >= "2022-01-01" and incidents.occurred_at.max() < "2026-01-01"
    assert (incidents.area == "").sum() == g.OUTSIDE_POINTS
    assert incidents.lat.between(18.8, 19.3).all() and incidents.lon.between(-98.5, -97.9).all()
    # Seasonality: floods in the rainy season.
    floods = incidents[incidents.category == "flood"].occurred_at.str.slice(5, 7).astype(int)
    assert floods.between(5, 10).mean() > 0.9


@pytest.mark.slow
def test_points_lie_in_their_neighbourhoods_and_outsiders_outside(full):
    polygons = {f["properties"]["code"]: shape(f["geometry"]) for f in _features(full, "neighbourhood")}
    sample = full.incidents[full.incidents.area != ""].iloc[::97]
    for code, rows in sample.groupby("area"):
        assert shapely.contains_xy(polygons[code], rows.lon.to_numpy(), rows.lat.to_numpy()).all(), code
    city = shape(full.boundary)
    outside = full.incidents[full.incidents.area == ""]
    assert not shapely.contains_xy(city, outside.lon.to_numpy(), outside.lat.to_numpy()).any()


@pytest.mark.slow
def test_planted_cluster_is_a_contiguous_hotspot(full):
    facts = full.facts
    cluster = set(facts["cluster_neighbourhoods"])
    assert 6 <= len(cluster) <= 10
    assert facts["market_neighbourhood"] in cluster
    polygons = {f["properties"]["code"]: shape(f["geometry"]) for f in _features(full, "neighbourhood")}
    assert shapely.union_all([polygons[c] for c in cluster]).geom_type == "Polygon"  # contiguous
    pop = full.population
    people = pop[(pop.sex == "") & (pop.age_group == "") & (pop.year == 2024)].set_index("area").population
    for category in ("robbery", "assault"):
        counts = full.incidents[full.incidents.category == category].groupby("area").size()
        rate = (counts / people).dropna()
        inside = rate[rate.index.isin(cluster)].mean()
        outside = rate[~rate.index.isin(cluster)].mean()
        assert inside > 2 * outside, category


@pytest.mark.slow
def test_planted_surge_triples(full):
    facts = full.facts
    area, category = facts["surge_neighbourhood"], facts["surge_category"]
    assert area not in facts["cluster_neighbourhoods"]
    assert facts["surge_months"] == ["2025-11", "2025-12"]
    rows = full.incidents[(full.incidents.area == area) & (full.incidents.category == category)]
    monthly = rows.groupby("month").size().reindex(facts["months"], fill_value=0)
    baseline = monthly.loc["2024-11":"2025-10"].mean()
    for month in facts["surge_months"]:
        assert monthly[month] >= 2.5 * baseline, (month, monthly[month], baseline)
    # And nowhere else did assault triple in the last two months.
    assaults = full.incidents[(full.incidents.category == category) & (full.incidents.area != "")]
    table = assaults.groupby(["area", "month"]).size().unstack(fill_value=0)
    before = table.loc[:, "2024-11":"2025-10"].mean(axis=1)
    ratio = (table[facts["surge_months"]].mean(axis=1) / before)[before >= 2]  # ignore tiny counts
    assert ratio.idxmax() == area
    assert (ratio.drop(area) < 2.5).all()


@pytest.mark.slow
def test_incident_counts_feed_their_indicators(full, catalogue):
    obs = full.observations
    rows = obs[(obs.indicator == "homicide-rate") & (obs.sex == "") & (obs.age_group == "")]
    homicides = full.incidents[(full.incidents.category == "homicide") & (full.incidents.area != "")]
    assert rows.numerator.astype(int).sum() == len(homicides)
    # Indicators that count incidents are left to the incidents importer's own aggregation.
    counted = {code for code, entry in catalogue.items() if entry.get("incident_categories")}
    assert not counted & set(obs.indicator)


def test_scale_must_be_sensible():
    with pytest.raises(ValueError):
        g.generate(scale=0)


@pytest.mark.slow
def test_the_facts_quoted_in_docs_demo_md(full):
    """docs/demo.md names these exactly (analytics tests rely on them): change both together."""
    facts = full.facts
    names = {f["properties"]["code"]: f["properties"]["name"] for f in full.areas["features"]}
    assert facts["cluster_neighbourhoods"] == ["N061", "N062", "N063", "N064", "N069", "N070", "N071", "N072"]
    assert (facts["market_neighbourhood"], names["N069"], names["D06"]) == ("N069", "La Merced", "Mercado")
    assert (facts["surge_neighbourhood"], names["N114"], names["D10"]) == ("N114", "El Triunfo", "Valle Sur")
    assert (facts["surge_category"], facts["surge_months"]) == ("assault", ["2025-11", "2025-12"])
    assert len(full.incidents) == 119_295
    outside = full.incidents[full.incidents.area == ""].id.tolist()
    assert outside == [
        "DEMO-031426",
        "DEMO-035759",
        "DEMO-043048",
        "DEMO-052297",
        "DEMO-064204",
        "DEMO-066841",
        "DEMO-073053",
    ]
    outages = {code: gap["outage"] for code, gap in facts["gaps"].items() if "outage" in gap}
    assert outages == {
        "report-response-days": {"district": "D10", "months": ["2024-10", "2024-11", "2024-12"]},
        "reports-fixed-confirmed": {"district": "D03", "months": ["2022-12", "2023-01", "2023-02"]},
        "resident-reports": {"district": "D01", "months": ["2024-11", "2024-12", "2025-01"]},
    }
