"""Every form of the workspace needs Django's CSRF token; none is exempt."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from safercities.workspace.tests.conftest import GOOD_OBSERVATIONS


@pytest.fixture
def csrf_client(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def test_posts_without_token_are_403(csrf_client, alert, alice, city):
    from safercities.accounts.models import Membership

    membership = Membership.objects.get(user=alice, city=city)
    targets = [
        ("import_new", {}),
        ("alert_acknowledge", {"pk": alert.pk}),
        ("alert_comment", {"pk": alert.pk}),
        ("alert_resolve", {"pk": alert.pk}),
        ("alert_assign", {"pk": alert.pk}),
        ("index_builder", {}),
        ("settings", {}),
        ("members", {}),
        ("member_role", {"pk": membership.pk}),
        ("member_remove", {"pk": membership.pk}),
    ]
    for name, kwargs in targets:
        response = csrf_client.post(
            reverse(f"workspace:{name}", kwargs={"city": "testville", **kwargs}),
            {"text": "x", "file": SimpleUploadedFile("a.csv", GOOD_OBSERVATIONS.encode())},
        )
        assert response.status_code == 403, name
    alert.refresh_from_db()
    assert alert.status == "new"


def test_post_with_token_works(csrf_client, alert):
    url = reverse("workspace:alert", kwargs={"city": "testville", "pk": alert.pk})
    html = csrf_client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = csrf_client.post(
        reverse("workspace:alert_acknowledge", kwargs={"city": "testville", "pk": alert.pk}),
        {"csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
