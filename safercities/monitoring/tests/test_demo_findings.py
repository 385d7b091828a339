"""On the full demo city, the analytics find what was planted (docs/demo.md): the robbery/assault
cluster around the market (N061–N064, N069–N072) and the assault surge in N114 in 2025-11/12."""

import pytest

from safercities.demo.build import build_demo
from safercities.monitoring.alert_results import compute_alerts
from safercities.monitoring.hotspot_results import analyse
from safercities.monitoring.models import Alert
from safercities.places.models import City

CLUSTER = {"N061", "N062", "N063", "N064", "N069", "N070", "N071", "N072"}


@pytest.mark.slow
@pytest.mark.django_db
def test_planted_cluster_and_surge_are_found():
    build_demo()
    city = City.objects.get(slug="demo")
    indicator = city.indicators.get(code="violent-crime-rate")

    unit, result = analyse(city, indicator, "2025", level="neighbourhood")
    hot = {u.code for u in result.units if u.hotspot == "hot"}
    high_high = {u.code for u in result.units if u.lisa == "HH"}
    assert unit == "neighbourhood" and result.weights == "queen"
    assert result.moran.I > 0.3 and result.moran.p_value < 0.01
    assert len(CLUSTER & hot) >= 6 and "N069" in hot
    assert len(CLUSTER & high_high) >= 6
    assert not hot & {"N002", "N043", "N004"}  # the better-off north-west is not hot

    h3_unit, h3_result = analyse(city, indicator, "2025", h3_resolution=8)
    assert h3_unit == "h3-8" and any(u.hotspot == "hot" for u in h3_result.units)

    compute_alerts(city)
    surge = Alert.objects.filter(
        city=city, indicator=indicator, area__code="N114", kind="exceedance", period__in=["2025-11", "2025-12"]
    )
    assert {a.period for a in surge} == {"2025-11", "2025-12"}
    assert all(a.observed > a.upper for a in surge)
    assert "expected" in surge.first().explanation
