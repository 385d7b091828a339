"""City settings and user management by the city admin, including the last-admin rule."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from safercities.accounts.models import Membership
from safercities.workspace.tests.conftest import client_for

SETTINGS = "/en/workspace/testville/settings/"
MEMBERS = "/en/workspace/testville/members/"


def settings_data(city, **overrides):
    indicators = list(city.indicators.order_by("dimension__order", "code"))
    data = {
        "city-languages": ["en", "es"],
        "city-timezone": "America/Mexico_City",
        "city-h3_resolution": "8",
        "ind-TOTAL_FORMS": str(len(indicators)),
        "ind-INITIAL_FORMS": str(len(indicators)),
        "ind-MIN_NUM_FORMS": "0",
        "ind-MAX_NUM_FORMS": "1000",
    }
    for i, indicator in enumerate(indicators):
        data[f"ind-{i}-id"] = str(indicator.pk)
        if indicator.is_public:
            data[f"ind-{i}-is_public"] = "on"
        data[f"ind-{i}-threshold_amber"] = "" if indicator.threshold_amber is None else str(indicator.threshold_amber)
        data[f"ind-{i}-threshold_red"] = "" if indicator.threshold_red is None else str(indicator.threshold_red)
    data.update(overrides)
    return data, indicators


def test_settings_save_languages_timezone_public_and_thresholds(alice, city):
    data, indicators = settings_data(city)
    index = next(i for i, ind in enumerate(indicators) if ind.code == "homicide-rate")
    data.pop(f"ind-{index}-is_public", None)
    data[f"ind-{index}-threshold_amber"] = "10"
    data[f"ind-{index}-threshold_red"] = "20"
    data["city-languages"] = ["es"]
    data["city-timezone"] = "America/Monterrey"
    response = client_for(alice).post(SETTINGS, data)
    assert response.status_code == 302
    city.refresh_from_db()
    assert city.languages == "es" and city.timezone == "America/Monterrey" and city.h3_resolution == 8
    homicide = city.indicators.get(code="homicide-rate")
    assert homicide.is_public is False and homicide.threshold_amber == 10 and homicide.threshold_red == 20


def test_settings_refuse_bad_values(alice, city):
    data, indicators = settings_data(city, **{"city-timezone": "Mars/Olympus", "city-h3_resolution": "16"})
    index = next(i for i, ind in enumerate(indicators) if ind.code == "homicide-rate")
    data[f"ind-{index}-threshold_amber"] = "20"
    data[f"ind-{index}-threshold_red"] = "10"  # higher is worse: red below amber makes no sense
    response = client_for(alice).post(SETTINGS, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mars/Olympus is not one of the available choices" in html
    assert "red threshold must not be below amber" in html
    city.refresh_from_db()
    assert city.timezone == "America/Mexico_City" and city.h3_resolution == 9


def test_add_existing_user_and_invite_new_one(alice, city, other_city):
    bob = get_user_model().objects.create_user("bob", email="bob@example.org", password="x" * 12)
    client = client_for(alice)
    client.post(MEMBERS, {"identifier": "BOB@example.org", "role": "monitor"})
    assert Membership.objects.get(user=bob, city=city).role == "monitor"
    assert not mail.outbox  # an existing user gets no invitation

    response = client.post(MEMBERS, {"identifier": "carla@municipio.mx", "role": "analyst"}, follow=True)
    assert "Invited carla@municipio.mx" in response.content.decode()
    carla = get_user_model().objects.get(email="carla@municipio.mx")
    assert not carla.has_usable_password() and carla.is_staff
    assert Membership.objects.get(user=carla, city=city).role == "analyst"
    [message] = mail.outbox
    assert message.to == ["carla@municipio.mx"] and "Testville" in message.subject
    assert "carla" in message.body and "password" not in carla.password

    response = client.post(MEMBERS, {"identifier": "nobody-by-that-name", "role": "analyst"})
    assert "give an e-mail address to invite" in response.content.decode()


def test_change_role_and_remove_member(alice, ana, city):
    client = client_for(alice)
    membership = Membership.objects.get(user=ana, city=city)
    client.post(
        reverse("workspace:member_role", kwargs={"city": "testville", "pk": membership.pk}),
        {f"m{membership.pk}-role": "monitor"},
    )
    membership.refresh_from_db()
    assert membership.role == "monitor"
    ana.refresh_from_db()
    assert ana.is_staff is False  # no staff role left anywhere
    client.post(reverse("workspace:member_remove", kwargs={"city": "testville", "pk": membership.pk}))
    assert not Membership.objects.filter(user=ana, city=city).exists()


def test_last_city_admin_cannot_be_demoted_or_removed(alice, city):
    client = client_for(alice)
    mine = Membership.objects.get(user=alice, city=city)
    response = client.post(
        reverse("workspace:member_role", kwargs={"city": "testville", "pk": mine.pk}),
        {f"m{mine.pk}-role": "analyst"},
        follow=True,
    )
    assert "must keep at least one city admin" in response.content.decode()
    response = client.post(reverse("workspace:member_remove", kwargs={"city": "testville", "pk": mine.pk}), follow=True)
    assert "must keep at least one city admin" in response.content.decode()
    response = client.post(MEMBERS, {"identifier": "alice", "role": "resident"})
    assert "must keep at least one city admin" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == "city_admin"

    # With a second admin, Alice may step down.
    client.post(MEMBERS, {"identifier": "dora@example.org", "role": "city_admin"})
    client.post(
        reverse("workspace:member_role", kwargs={"city": "testville", "pk": mine.pk}), {f"m{mine.pk}-role": "analyst"}
    )
    mine.refresh_from_db()
    assert mine.role == "analyst"


def test_members_of_other_cities_are_not_listed_or_reachable(alice, oscar, other_city):
    client = client_for(alice)
    assert "oscar" not in client.get(MEMBERS).content.decode()
    theirs = Membership.objects.get(user=oscar, city=other_city)
    response = client.post(reverse("workspace:member_remove", kwargs={"city": "testville", "pk": theirs.pk}))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()
