"""Issue 8: Schemathesis against the OpenAPI document at /api/v1/openapi.json, in process (WSGI).

Every operation the document lists — including those other apps mount on the API — is called with
generated requests, as an anonymous caller, with an analyst's bearer token and with a city admin's
signed-in session (CSRF token included), against a city that exists and one that does not. Checks:
no 5xx; a documented success status is the documented one and its body matches the schema; the
content type is JSON; anything else is a 4xx in the API's error shape.
"""

from __future__ import annotations

import json
import secrets

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from safercities.api import tokens
from safercities.portal.tests.factories import build_small_city

SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
OPERATIONS = {op.ok().label: op.ok() for op in SCHEMA.get_all_operations()}
ERROR_STATUSES = {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429}
MAX_EXAMPLES = 20


@pytest.fixture
def callers(city, ana, alice, other_city):
    """Bearer token of the analyst; a signed-in session of the city admin with a CSRF pair."""
    build_small_city(city)
    _token, secret = tokens.create_token(user=ana, scopes="read,write", name="schemathesis")
    session = Client()
    session.force_login(alice)
    csrf = secrets.token_hex(16)  # an unmasked 32-character secret: cookie and header must match
    cookies = {"sessionid": session.cookies["sessionid"].value, "csrftoken": csrf}
    _token2, _secret2 = tokens.create_token(user=alice, scopes="read", name="to-revoke")
    return {
        "anonymous": ({}, {}),
        "token": ({"Authorization": f"Bearer {secret}"}, {}),
        "session": ({"X-CSRFToken": csrf, "Referer": "http://localhost/"}, cookies),
    }


def known_ids() -> dict[str, list]:
    from safercities.api.models import ApiToken
    from safercities.ingest.models import ImportRun
    from safercities.monitoring.models import Alert

    return {
        "alert_id": list(Alert.objects.values_list("pk", flat=True)[:5]),
        "run_id": list(ImportRun.objects.values_list("pk", flat=True)[:5]),
        "prefix": list(ApiToken.objects.filter(name="to-revoke").values_list("prefix", flat=True)),
        "kind": ["observations", "areas", "indicators", "incidents", "population"],
    }


def _check(case, response) -> None:
    case.validate_response(response, checks=[not_a_server_error, content_type_conformance, response_schema_conformance])
    documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
    status = response.status_code
    if str(status) in documented:
        return
    assert status in ERROR_STATUSES, f"{case.operation.label}: undocumented status {status}"
    body = json.loads(response.content)
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["message"], body


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_conforms(label, callers, city, other_city, settings_override):
    operation = OPERATIONS[label]
    city_values = st.sampled_from([city.slug, city.slug, other_city.slug, "no-such-city"])

    @settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
    @given(data=st.data())
    def run(data):
        caller = data.draw(st.sampled_from(sorted(callers)), label="caller")
        case = data.draw(operation.as_strategy(), label="case")
        # Mostly real identifiers, so that the operations do their work rather than answer 404.
        for name, values in known_ids().items():
            if "{" + name + "}" in operation.path and values and data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(values), label=name)
        if "{city}" in operation.path:
            case.path_parameters["city"] = data.draw(city_values, label="city")
        headers, cookies = callers[caller]
        response = case.call(headers=dict(headers), cookies=dict(cookies))
        import os

        if os.environ.get("H8_TRACE"):
            with open("/tmp/h8/trace.txt", "a") as fh:
                fh.write(f"{label}\t{caller}\t{case.path_parameters.get('city')}\t{response.status_code}\n")
        _check(case, response)

    run()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Called straight through WSGI, Django would close the database connection after each request
    (``close_old_connections``) and with it the test's transaction; its test client avoids the same."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def settings_override(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""


def test_every_operation_is_covered():
    assert len(OPERATIONS) >= 20
    assert any("/imports/" in label for label in OPERATIONS)
