"""The index builder: preview with rank intervals, then publish."""

from __future__ import annotations

import pytest

from safercities.analytics.composite import IndexDefinition as IndexMethod
from safercities.analytics.periods import parse_period
from safercities.indicators.models import Observation
from safercities.monitoring.models import IndexDefinition, IndexResult
from safercities.workspace.tests.conftest import client_for

URL = "/en/workspace/testville/index/"
CODES = ["unemployment-rate", "homicide-rate", "feel-safe-after-dark", "food-insecurity", "pm25-annual-mean"]


@pytest.fixture
def observed(city, areas):
    p = parse_period("2024")
    for i, area in enumerate(areas):  # N3 worst on everything, N0 best
        for code, value in zip(CODES, [5 + 3 * i, 2 + 4 * i, 90 - 10 * i, 10 + 5 * i, 15 + i], strict=True):
            Observation.objects.create(
                city=city,
                indicator=city.indicators.get(code=code),
                area=area,
                period=p.code,
                period_type=p.kind,
                period_start=p.start,
                period_end=p.end,
                value=value,
            )
    return areas


def form(**extra):
    data = {
        "name": "Safety first",
        "indicators": CODES,
        "normalisation": "minmax",
        "imputation": "none",
        "weighting": "equal",
        "aggregation": "arithmetic",
        "level": "neighbourhood",
        **{
            f"weight_{d}": "1"
            for d in ["economic", "food", "health", "environmental", "personal", "community", "political"]
        },
    }
    data.update(extra)
    return data


def test_form_groups_indicators_by_dimension(ana, observed):
    html = client_for(ana).get(URL).content.decode()
    assert "Personal" in html and 'value="homicide-rate"' in html and 'value="neighbourhood"' in html


def test_preview_shows_ranks_and_intervals_without_storing(ana, observed):
    response = client_for(ana).post(URL, {**form(), "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200 and "Preview: 2024, neighbourhood" in html
    assert html.index("Barrio 3") < html.index("Barrio 0")  # rank 1 = least secure first
    assert "90 % rank interval" in html and "1–" in html
    assert not IndexDefinition.objects.exists() and not IndexResult.objects.exists()


def test_preview_with_no_usable_indicator_says_so(ana, observed):
    html = client_for(ana).post(URL, {**form(indicators=["road-traffic-deaths"]), "action": "preview"}).content.decode()
    assert "Too little data" in html and "road-traffic-deaths" in html
    response = client_for(ana).post(URL, {**form(indicators=[]), "action": "preview"})
    assert "This field is required" in response.content.decode()


def test_all_dimension_weights_zero_is_refused(ana, observed):
    data = form(
        **{
            f"weight_{d}": "0"
            for d in ["economic", "food", "health", "environmental", "personal", "community", "political"]
        }
    )
    response = client_for(ana).post(URL, {**data, "action": "preview"})
    assert "At least one dimension needs a weight above zero." in response.content.decode()


def test_publish_saves_definition_and_results(ana, observed):
    response = client_for(ana).post(URL, {**form(weight_personal="3"), "action": "publish"}, follow=True)
    assert "Published" in response.content.decode()
    definition = IndexDefinition.objects.get(slug="safety-first")
    method = IndexMethod.from_dict(definition.config)
    assert method.aggregation == "arithmetic" and set(method.indicators) == set(CODES)
    assert dict(method.dimension_weights)["personal"] == 3.0
    results = IndexResult.objects.filter(definition=definition, period="2024", level="neighbourhood")
    assert results.count() == 4
    assert results.get(rank=1).area.code == "N3"
    assert all(r.rank_low is not None and r.rank_low <= r.rank <= r.rank_high for r in results)
    # Publishing again updates the same definition instead of adding one.
    client_for(ana).post(URL, {**form(aggregation="geometric"), "action": "publish"})
    assert IndexDefinition.objects.filter(city=definition.city).count() == 1
    definition.refresh_from_db()
    assert definition.config["aggregation"] == "geometric"
