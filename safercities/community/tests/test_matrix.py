"""This app's part of the authorisation matrix, checked on its own (the project-wide test runs every
app's part together; this one fails only for ours)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import authorization_matrix as matrix
from tests.test_authorization_matrix import PERSONAS, _fill, _matches

# Through the merged matrix: importing the fragment first would import it half-initialised.
fragment = next(module for module in matrix.FRAGMENT_MODULES if module.__name__ == "tests.authz.community")


@pytest.fixture
def world(settings, tmp_path, city, other_city, alice, ana, mo, rita, oscar, nora):
    from safercities.portal.tests.factories import build_small_city

    build_small_city(city)
    users = {"rita": rita, "mo": mo, "ana": ana, "alice": alice, "oscar": oscar, "nora": nora}
    objects = {**fragment.objects(city, other_city, users), "city": city.slug}
    return {"users": users, "objects": objects}


@pytest.mark.parametrize("persona", PERSONAS)
def test_community_pages_answer_each_persona_as_the_matrix_says(world, persona):
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    wrong = []
    for name, entry in fragment.PAGES.items():
        url = reverse(name, kwargs=_fill(entry.get("kwargs", {}), world["objects"]))
        for method in ("GET", "POST"):
            expected = (entry.get(method) or {}).get(persona)
            if expected is None:
                continue
            data = fragment.POST_DATA.get(name, {})
            response = client.get(url) if method == "GET" else client.post(url, data)
            if not _matches(response, expected):
                wrong.append(f"{method} {name} ({url}): got {response.status_code}, matrix says {expected}")
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("persona", PERSONAS)
def test_community_api_answers_each_persona_as_the_matrix_says(world, persona, settings):
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    wrong = []
    for key, entry in fragment.API.items():
        method, path = key.split(" ", 1)
        assert method == "GET"
        response = client.get(path.format(city=world["objects"]["city"]))
        if not _matches(response, entry["expect"][persona]):
            wrong.append(f"{key}: got {response.status_code}")
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


def test_the_api_operations_are_in_the_openapi_document(db):
    from tests.test_authorization_matrix import api_operations

    assert set(fragment.API) <= set(api_operations())
