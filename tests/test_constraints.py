"""The database itself refuses impossible rows (so no code path can write them), on both engines."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from safercities.accounts.models import Membership
from safercities.incidents.models import Incident
from safercities.indicators.models import Dimension, Indicator, Observation
from safercities.monitoring.models import Alert, IndexDefinition
from safercities.places.models import Area, AreaPopulation


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.fixture
def area(city):
    return Area.objects.create(city=city, code="A", name="A")


def obs(city, indicator, area, **extra):
    fields = {
        "city": city,
        "indicator": indicator,
        "area": area,
        "period": "2024",
        "period_type": "year",
        "period_start": dt.date(2024, 1, 1),
        "period_end": dt.date(2024, 12, 31),
        "value": 1.0,
    }
    fields.update(extra)
    return Observation.objects.create(**fields)


def test_observation_unique_per_cell_and_disaggregation(city, area):
    indicator = city.indicators.first()
    obs(city, indicator, area)
    obs(city, indicator, area, sex="female")  # a disaggregation is another cell
    refused(lambda: obs(city, indicator, area))
    refused(lambda: obs(city, indicator, area, sex="female", value=2.0))


def test_rate_indicator_needs_rate_per(city):
    personal = Dimension.objects.get(code="personal")
    refused(
        lambda: Indicator.objects.create(
            city=city,
            code="x-rate",
            name="X",
            dimension=personal,
            unit="per 100,000",
            direction="higher_is_worse",
            aggregation="rate",
            rate_per=None,
        )
    )


def test_indicator_code_unique_per_city(city, other_city):
    code = city.indicators.first().code
    assert other_city.indicators.filter(code=code).exists()  # the same code in another city is fine
    refused(
        lambda: Indicator.objects.create(
            city=city,
            code=code,
            name="dup",
            dimension=Dimension.objects.first(),
            unit="%",
            direction="higher_is_worse",
            aggregation="mean",
        )
    )


def test_population_unique_per_year_and_group(area):
    AreaPopulation.objects.create(area=area, year=2024, population=10)
    AreaPopulation.objects.create(area=area, year=2024, sex="female", population=6)
    refused(lambda: AreaPopulation.objects.create(area=area, year=2024, population=11))


def test_incident_fingerprint_unique_per_city(city, other_city):
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    Incident.objects.create(city=city, fingerprint="f", occurred_at=when, category="robbery")
    Incident.objects.create(city=other_city, fingerprint="f", occurred_at=when, category="robbery")
    refused(lambda: Incident.objects.create(city=city, fingerprint="f", occurred_at=when, category="assault"))


def test_membership_rules(city):
    user = get_user_model().objects.create_user("u")
    Membership.objects.create(user=user, city=city, role="analyst")
    refused(lambda: Membership.objects.create(user=user, city=city, role="resident"))  # one role per city
    refused(lambda: Membership.objects.create(user=user, city=None, role="analyst"))  # only network admins
    refused(lambda: Membership.objects.create(user=user, city=city, role="network_admin"))


def test_one_default_index_and_one_alert_per_key(city, area):
    IndexDefinition.objects.create(city=city, slug="a", name="A", is_default=True)
    refused(lambda: IndexDefinition.objects.create(city=city, slug="b", name="B", is_default=True))
    indicator = city.indicators.first()
    make = lambda: Alert.objects.create(  # noqa: E731
        city=city,
        indicator=indicator,
        area=area,
        period="2025-12",
        kind="exceedance",
        severity="red",
        observed=3,
        explanation="x",
    )
    make()
    refused(make)


def test_area_parent_cannot_be_deleted_under_children(city, area):
    Area.objects.create(city=city, code="B", name="B", parent=area)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        area.delete()
