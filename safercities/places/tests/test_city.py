import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from safercities.indicators.catalogue import install_catalogue, load_catalogue
from safercities.places.actions import create_city
from safercities.places.models import Area, City


def test_create_city_installs_catalogue(city):
    assert city.indicators.count() == len(load_catalogue())
    assert install_catalogue(city) == 0  # idempotent: nothing new the second time


def test_city_rejects_bad_country_and_timezone(db):
    with pytest.raises(ValidationError) as err:
        create_city(slug="x", name="X", country="Mexico")
    assert "country" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        create_city(slug="y", name="Y", country="MX", timezone="Mars/Olympus")
    assert "timezone" in err.value.message_dict
    assert not City.objects.exists()


def test_area_code_unique_per_city(city, other_city):
    Area.objects.create(city=city, code="A1", name="One")
    Area.objects.create(city=other_city, code="A1", name="One elsewhere")
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(city=city, code="A1", name="Duplicate")


def test_city_create_command(db, capsys):
    call_command("city", "create", "puebla", "--name", "Puebla", "--country", "mx", "--timezone", "America/Mexico_City")
    city = City.objects.get(slug="puebla")
    assert city.country == "MX"
    assert "Created city puebla" in capsys.readouterr().out


def test_health(client, db):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "up"
