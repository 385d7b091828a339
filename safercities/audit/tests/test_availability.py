"""Database down: a translated 503 with Retry-After, no database access while rendering it, and the
next request after the database is back works without a restart."""

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

from safercities.audit.availability import unavailable_response


def _break(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)


PAGE = "/en/audit/testville/"


def test_503_page_while_database_is_down_then_recovery(client, alice, monkeypatch):
    client.force_login(alice)
    assert client.get(PAGE).status_code == 200
    _break(monkeypatch)
    response = client.get(PAGE)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Temporarily unavailable" in response.content and b'lang="en"' in response.content
    spanish = client.get("/es/audit/testville/")
    assert spanish.status_code == 503 and b'lang="es"' in spanish.content
    monkeypatch.undo()
    recovered = client.get(PAGE)
    assert recovered.status_code == 200 and b"Testville" in recovered.content


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_failure_inside_a_middleware_is_a_503_too(rita, monkeypatch):
    # A signed-in user's session and user are loaded by middleware, outside the view.
    client = Client(raise_request_exception=False)
    client.force_login(rita)
    _break(monkeypatch)
    response = client.get("/en/accounts/password/change/")
    monkeypatch.undo()
    assert response.status_code == 503 and response["Retry-After"] == "30"


def test_rendering_the_503_page_needs_no_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = unavailable_response()
    assert response.status_code == 503 and b"try again" in response.content


def test_other_errors_stay_500(alice, monkeypatch):
    from safercities.audit import views

    def boom(*args, **kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(views, "render", boom)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    assert client.get(PAGE).status_code == 500


@pytest.mark.django_db(transaction=True)
def test_real_unreachable_postgresql_server_then_recovery(alice):
    """Point the live connection at a closed port, then back (PostgreSQL only: an in-memory SQLite
    database cannot be closed and reopened)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a server to disconnect from")
    client = Client()
    client.force_login(alice)
    assert client.get(PAGE).status_code == 200
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["HOST"] = "127.0.0.1"
    connection.settings_dict["PORT"] = "9"  # discard: nothing listens
    connection.settings_dict.setdefault("OPTIONS", {})
    try:
        response = client.get(PAGE)
        assert response.status_code == 503
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert client.get(PAGE).status_code == 200
