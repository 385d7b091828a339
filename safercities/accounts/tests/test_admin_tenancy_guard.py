"""A city admin cannot write a row outside their cities through the admin, e.g. a membership without a
city (which would make someone a network admin)."""

from safercities.accounts.models import Membership, Role
from safercities.audit.models import AuditEvent


def test_city_admin_cannot_grant_network_admin(client, alice, rita):
    client.force_login(alice)
    response = client.post(
        "/en/admin/accounts/membership/add/", {"user": rita.pk, "city": "", "role": Role.NETWORK_ADMIN}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=rita, role=Role.NETWORK_ADMIN).exists()
    assert not AuditEvent.objects.filter(model_label="accounts.membership", action="create").exists()


def test_city_admin_cannot_write_into_another_city(client, alice, rita, other_city):
    client.force_login(alice)
    response = client.post(
        "/en/admin/accounts/membership/add/", {"user": rita.pk, "city": other_city.pk, "role": Role.ANALYST}
    )
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not Membership.objects.filter(city=other_city, user=rita).exists()


def test_city_admin_grants_a_role_in_own_city_and_it_is_audited(client, alice, city, django_user_model):
    newcomer = django_user_model.objects.create_user("newcomer", password="a long passphrase 123")
    client.force_login(alice)
    response = client.post(
        "/en/admin/accounts/membership/add/", {"user": newcomer.pk, "city": city.pk, "role": "analyst"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(model_label="accounts.membership", action="create")
    assert event.city == city and event.after["role"] == "analyst" and event.username == "alice"
