"""The alerts inbox: filters, and an alert handled from new to resolved."""

from __future__ import annotations

from django.urls import reverse

from safercities.monitoring.models import Alert
from safercities.workspace.models import AlertComment
from safercities.workspace.tests.conftest import client_for


def url(name, alert):
    return reverse(f"workspace:{name}", kwargs={"city": "testville", "pk": alert.pk})


def test_alert_lifecycle(ana, alice, alert):
    client = client_for(ana)
    page = client.get(url("alert", alert)).content.decode()
    # What was seen, expected and why.
    assert "14 homicides against about 4.2 expected" in page and ">14<" in page and "4.2" in page and "9.1" in page

    client.post(url("alert_acknowledge", alert))
    alert.refresh_from_db()
    assert alert.status == Alert.ACKNOWLEDGED and alert.acknowledged_by == ana

    client.post(url("alert_assign", alert), {"assignee": alice.pk})
    alert.refresh_from_db()
    assert alert.assigned_to == alice

    client.post(url("alert_comment", alert), {"text": "Called the district police; a feud between two families."})
    [comment] = AlertComment.objects.filter(alert=alert)
    assert comment.author == ana and "feud" in comment.text

    response = client.post(url("alert_resolve", alert), follow=True)
    alert.refresh_from_db()
    assert alert.status == Alert.RESOLVED and alert.resolved_at is not None
    assert "Alert resolved." in response.content.decode()

    resolved_at = alert.resolved_at
    response = client.post(url("alert_resolve", alert), follow=True)
    assert response.status_code == 200 and "resolved already; nothing changed" in response.content.decode()
    alert.refresh_from_db()
    assert alert.resolved_at == resolved_at

    page = client.get(url("alert", alert)).content.decode()
    assert "feud" in page and "Resolve</button>" not in page and "Acknowledge</button>" not in page


def test_acknowledging_twice_is_refused_politely(ana, alert):
    client = client_for(ana)
    client.post(url("alert_acknowledge", alert))
    response = client.post(url("alert_acknowledge", alert), follow=True)
    assert "Only a new alert can be acknowledged" in response.content.decode()


def test_assign_only_to_staff_of_the_city(ana, mo, oscar, alert):
    client = client_for(ana)
    for stranger in (mo, oscar):  # a monitor of the city, an admin of another city
        response = client.post(url("alert_assign", alert), {"assignee": stranger.pk}, follow=True)
        assert "Choose an analyst or admin of this city." in response.content.decode()
    alert.refresh_from_db()
    assert alert.assigned_to is None
    client.post(url("alert_assign", alert), {"assignee": ana.pk})
    client.post(url("alert_assign", alert), {"assignee": ""})
    alert.refresh_from_db()
    assert alert.assigned_to is None


def test_empty_comment_is_refused(ana, alert):
    response = client_for(ana).post(url("alert_comment", alert), {"text": "  "}, follow=True)
    assert "Write a comment first." in response.content.decode()
    assert not AlertComment.objects.exists()


def test_inbox_filters(ana, alert, other_alert):
    amber = Alert.objects.create(
        city=alert.city,
        indicator=alert.indicator,
        area=alert.area,
        period="2024-04",
        kind=Alert.THRESHOLD,
        severity=Alert.AMBER,
        observed=8,
        expected=None,
        upper=7,
        explanation="over the amber threshold",
        status=Alert.RESOLVED,
    )
    client = client_for(ana)
    base = "/en/workspace/testville/alerts/"

    def shown(query=""):
        html = client.get(base + query).content.decode()
        return {a.pk for a in (alert, amber, other_alert) if url("alert", a) in html}

    assert shown() == {alert.pk}  # open ones by default; never another city's
    assert shown("?status=") == {alert.pk, amber.pk}
    assert shown("?status=resolved") == {amber.pk}
    assert shown("?status=&severity=red") == {alert.pk}
    assert shown("?status=&kind=threshold") == {amber.pk}
