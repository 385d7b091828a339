"""City staff see only their own city in the admin; residents and outsiders see nothing of it."""

import pytest

from safercities.accounts.models import Membership
from safercities.accounts.permissions import cities_for, has_role
from safercities.places.models import Area


@pytest.fixture
def areas(city, other_city):
    return (
        Area.objects.create(city=city, code="T-1", name="Testville One"),
        Area.objects.create(city=other_city, code="O-1", name="Otherburg One"),
    )


def test_roles_rank(city, other_city, alice, ana, mo, rita, oscar, nora):
    assert has_role(alice, city, "analyst")
    assert has_role(ana, city, "analyst") and not has_role(ana, city, "city_admin")
    assert not has_role(mo, city, "analyst") and has_role(mo, city, "resident")
    assert not has_role(oscar, city, "resident")
    assert has_role(nora, city, "city_admin") and has_role(nora, other_city, "city_admin")
    assert list(cities_for(alice)) == [city]
    assert list(cities_for(rita)) == []


def test_city_admin_sees_only_own_city(client, alice, areas):
    client.force_login(alice)
    listing = client.get("/en/admin/places/area/")
    assert listing.status_code == 200
    assert b"Testville One" in listing.content
    assert b"Otherburg One" not in listing.content
    # The other city's row is not reachable by URL either.
    foreign = client.get(f"/en/admin/places/area/{areas[1].pk}/change/")
    assert foreign.status_code in (302, 404)
    assert client.get(f"/en/admin/places/area/{areas[0].pk}/change/").status_code == 200


def test_outsider_admin_cannot_see_other_city(client, oscar, areas):
    client.force_login(oscar)
    listing = client.get("/en/admin/places/area/")
    assert b"Otherburg One" in listing.content and b"Testville One" not in listing.content


def test_analyst_cannot_manage_memberships(client, ana, alice):
    client.force_login(ana)
    assert client.get("/en/admin/accounts/membership/").status_code == 403
    client.force_login(alice)
    page = client.get("/en/admin/accounts/membership/")
    assert page.status_code == 200 and b"ana" in page.content


def test_resident_has_no_admin(client, rita):
    client.force_login(rita)
    response = client.get("/en/admin/places/area/")
    assert response.status_code == 302  # not staff: sent to the login page
    assert Membership.objects.get(user=rita).role == "resident"


def test_network_admin_sees_all(client, nora, areas):
    client.force_login(nora)
    listing = client.get("/en/admin/places/area/")
    assert b"Testville One" in listing.content and b"Otherburg One" in listing.content


def test_membership_form_explains_the_network_admin_rule(city, rita):
    from safercities.accounts.admin import MembershipForm

    form = MembershipForm(data={"user": rita.pk, "city": city.pk, "role": "network_admin"})
    assert not form.is_valid() and "leave the city empty" in str(form.errors["city"])
    form = MembershipForm(data={"user": rita.pk, "city": "", "role": "analyst"})
    assert not form.is_valid() and "Choose the city" in str(form.errors["city"])
