"""The portal cache (portal/cache.py): what it serves again, what makes it stale, what it never holds.

Every test runs twice: with per-process memory and with the shared Redis (skipped when no Redis answers
on 127.0.0.1:6379). Correctness only — no timing.
"""

from __future__ import annotations

import pickle
import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safercities.accounts.models import Role
from safercities.indicators.models import Indicator
from safercities.monitoring.models import IndexResult
from safercities.portal import cache
from safercities.portal.tests.factories import build_small_city
from safercities.workspace.tests.test_city_admin import settings_data

CITY = "/en/cities/testville/"
AREA = "/en/cities/testville/areas/A1/"
MAP = "/en/cities/testville/map.json"
INDICATOR = "/en/cities/testville/indicators/unemployment-rate/"
REDIS = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture(params=["locmem", "redis"])
def shared(request, settings):
    """Switch the portal cache on (the suite runs with a dummy one) with a fresh key prefix."""
    prefix = f"sc-test-portal-{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        if not _redis_up():
            pytest.skip("no Redis on 127.0.0.1:6379")
        portal = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}
    else:
        portal = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "portal": {**portal, "KEY_PREFIX": prefix, "TIMEOUT": 300},
    }
    assert cache.enabled()
    backend = cache.backend()
    yield backend
    if request.param == "redis":
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


def stored(backend) -> list[object]:
    """Every value the portal cache holds right now (to look inside)."""
    if hasattr(backend, "_cache") and isinstance(backend._cache, dict):
        return [pickle.loads(value) for value in backend._cache.values()]
    client = backend._cache.get_client()
    prefix = backend.key_prefix
    return [backend._cache._serializer.loads(client.get(key)) for key in client.scan_iter(f"{prefix}:*")]


def _text(values: list[object]) -> str:
    out = []
    for value in values:
        if isinstance(value, bytes):
            out.append(value.decode())
        elif isinstance(value, (tuple, list)):
            out.append(_text(list(value)))
        else:
            out.append(str(value))
    return "\n".join(out)


@pytest.fixture
def small(city):
    return build_small_city(city)


def main(html: str) -> str:
    """The page's content (the header around it echoes the query string and the user)."""
    return html[html.index("<main") : html.index("</main>")]


def _queries(client: Client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured), response.content.decode()


@pytest.mark.parametrize("path", [CITY, AREA, MAP, INDICATOR, "/en/network/"])
def test_second_request_is_served_from_the_cache_and_identical(shared, small, path):
    client = Client()
    cold, first = _queries(client, path)
    warm, second = _queries(client, path)
    assert second == first
    assert warm < cold and warm <= 4, (cold, warm)  # the city (+ area / indicator) look-up, not the work


def test_the_cached_page_equals_the_uncached_one(shared, small, settings):
    cached_pages = {path: Client().get(path).content for path in (CITY, AREA, MAP, INDICATOR)}
    cached_pages = {path: Client().get(path).content for path in (CITY, AREA, MAP, INDICATOR)}  # from the cache
    settings.CACHES = {**settings.CACHES, "portal": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert not cache.enabled()
    for path, content in cached_pages.items():
        assert Client().get(path).content == content, path


def test_hiding_an_indicator_in_the_settings_takes_effect_at_once(shared, small, city, alice):
    anonymous = Client()
    for path in (CITY, INDICATOR, f"{MAP}?layer=unemployment-rate"):
        assert anonymous.get(path).status_code == 200
    assert 'value="unemployment-rate"' in anonymous.get(CITY).content.decode()
    assert "unemployment-rate" in anonymous.get(AREA).content.decode()
    data, indicators = settings_data(city)
    position = next(i for i, ind in enumerate(indicators) if ind.code == "unemployment-rate")
    data.pop(f"ind-{position}-is_public")
    admin = Client()
    admin.force_login(alice)
    assert admin.post("/en/workspace/testville/settings/", data).status_code == 302
    assert not Indicator.objects.get(city=city, code="unemployment-rate").is_public
    assert 'value="unemployment-rate"' not in anonymous.get(CITY).content.decode()
    assert "unemployment-rate" not in anonymous.get(AREA).content.decode()
    assert anonymous.get(INDICATOR).status_code == 404
    assert anonymous.get(f"{MAP}?layer=unemployment-rate").status_code == 404


def test_any_save_of_an_indicator_invalidates(shared, small, city):
    client = Client()
    assert client.get(INDICATOR).status_code == 200
    indicator = Indicator.objects.get(city=city, code="unemployment-rate")
    indicator.is_public = False
    indicator.save(update_fields=["is_public"])
    assert client.get(INDICATOR).status_code == 404
    assert 'value="unemployment-rate"' not in client.get(CITY).content.decode()


def test_a_bulk_change_needs_invalidate_and_then_shows(shared, small, city):
    client = Client()
    before = client.get(CITY).content.decode()
    IndexResult.objects.filter(city=city, area__code="A3").update(score=9.9)  # no signal: stays cached
    assert client.get(CITY).content.decode() == before
    cache.invalidate(city)
    assert "9.9" in client.get(CITY).content.decode()


def test_a_compute_invalidates(shared, small, city):
    from safercities.monitoring.compute import compute_all

    client = Client()
    before = client.get(CITY).content.decode()
    IndexResult.objects.filter(city=city).delete()  # stand-in for a compute that replaces the results
    assert client.get(CITY).content.decode() == before
    compute_all(city, draws=20)
    after = client.get(CITY).content.decode()
    assert after != before


def test_signed_in_bits_are_never_taken_from_another_users_entry(shared, small, alice, rita):
    first, second, anonymous = Client(), Client(), Client()
    first.force_login(alice)
    second.force_login(rita)
    page_alice = first.get(CITY).content.decode()
    page_rita = second.get(CITY).content.decode()  # the body comes from the cache alice's request filled
    page_anonymous = anonymous.get(CITY).content.decode()
    assert "Sign out (alice)" in page_alice and "rita" not in page_alice
    assert "Sign out (rita)" in page_rita and "alice" not in page_rita
    assert "Sign out" not in page_anonymous and "Sign in" in page_anonymous
    held = _text(stored(shared))
    assert "alice" not in held and "rita" not in held and "Sign out" not in held


def test_csrf_tokens_are_never_cached(shared, small, alice, rita):
    pages = {}
    for user in (alice, rita):
        client = Client()
        client.force_login(user)
        client.get(CITY)
        html = client.get(CITY).content.decode()  # second time: body from the cache
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert tokens, "the sign-out form carries its token"
        pages[user.username] = set(tokens)
    assert not pages["alice"] & pages["rita"]
    held = _text(stored(shared))
    assert "csrfmiddlewaretoken" not in held
    for tokens in pages.values():
        assert not any(token in held for token in tokens)


def test_a_private_city_stays_404_for_outsiders_after_a_member_filled_the_cache(shared, small, city, rita, oscar):
    city.is_public = False
    city.save()
    member = Client()
    member.force_login(rita)
    for path in (CITY, AREA, MAP, INDICATOR):
        assert member.get(path).status_code == 200
    outsider = Client()
    outsider.force_login(oscar)
    for path in (CITY, AREA, MAP, INDICATOR):
        assert Client().get(path).status_code == 404
        assert outsider.get(path).status_code == 404
    assert "Testville" not in Client().get("/en/network/").content.decode()
    assert "Testville" in member.get("/en/network/").content.decode()


def test_languages_and_parameters_have_their_own_entries(shared, small):
    client = Client()
    english, spanish = client.get(CITY).content.decode(), client.get("/es/cities/testville/").content.decode()
    assert english != spanish and 'lang="es"' in spanish
    assert "/es/cities/testville/areas/" in spanish and "/en/cities/testville/areas/" not in spanish
    economic = client.get(f"{CITY}?layer=economic").content.decode()
    assert economic != english and '<option value="economic" selected' in economic
    # Unknown values are the default page (one entry), an unknown layer a 404.
    odd = client.get(f"{CITY}?period=1888&level=nowhere&hotspot=x&unit=y").content.decode()
    assert main(odd) == main(english)
    assert client.get(f"{CITY}?layer=no-such-thing").status_code == 404
    assert client.get(f"{MAP}?layer=no-such-thing").status_code == 404


def test_hotspot_form_keeps_the_layer_of_the_request(shared, small, city):
    from safercities.monitoring.hotspot_results import compute_hotspots

    compute_hotspots(city)
    client = Client()
    html = client.get(f"{CITY}?layer=economic").content.decode()
    if 'name="hotspot"' not in html:
        pytest.skip("no hot-spot result on this small city")
    assert '<input type="hidden" name="layer" value="economic">' in html
    html = client.get(CITY).content.decode()
    assert '<input type="hidden" name="layer" value="index">' in html


def test_a_dead_cache_server_slows_the_portal_but_never_breaks_it(small, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "portal": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    for path in (CITY, AREA, MAP, INDICATOR):
        assert Client().get(path).status_code == 200
    cache.invalidate(None)  # logged, not raised


def test_role_change_does_not_matter_to_the_shared_body(shared, small, city, rita):
    """The body is the same for every visitor allowed to see the city (roles change the header only)."""
    from safercities.accounts.actions import grant_role

    client = Client()
    client.force_login(rita)
    before = client.get(CITY).content.decode()
    grant_role(user=rita, city=city, role=Role.ANALYST)
    assert main(client.get(CITY).content.decode()) == main(before)


def test_anonymous_whole_pages_come_from_the_cache(shared, small):
    client = Client()
    for path in (CITY, AREA, INDICATOR, "/en/network/", "/en/", "/en/methodology/", f"{CITY}?layer=economic"):
        cold, first = _queries(client, path)
        warm, second = _queries(client, path)
        assert second == first and warm <= 3, (path, cold, warm)


def test_a_section_with_a_form_makes_the_area_page_per_visitor(shared, small, settings, tmp_path):
    """Another app's area section holding a form (and so a CSRF token) must never be shared."""
    (tmp_path / "section_with_form.html").write_text('<form method="post">{% csrf_token %}<button>Go</button></form>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    settings.PORTAL_AREA_SECTIONS = ["section_with_form.html"]
    tokens = []
    for _ in range(2):
        for client in (Client(), Client()):
            html = client.get(AREA).content.decode()
            tokens += re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) == 4 and len(set(tokens)) == 4
    held = _text(stored(shared))
    assert "csrfmiddlewaretoken" not in held
    assert "Alameda" in held  # the area's body itself is still shared


def test_a_change_committed_by_another_process_is_seen_at_once(shared, small, city):
    """The version token is read from the database with the city: a worker's compute reaches every web
    process the moment it commits, whatever the cache backend (even per-process memory)."""
    from safercities.portal.models import CacheVersion

    client = Client()
    before = client.get(CITY).content.decode()
    IndexResult.objects.filter(city=city, area__code="A3").update(score=9.9)
    CacheVersion.objects.filter(city=city).update(token="from-another-process")  # what invalidate() does there
    after = client.get(CITY).content.decode()
    assert after != before and "9.9" in after


def test_every_city_gets_a_version_and_a_city_without_one_is_not_cached(shared, small, city):
    from safercities.portal.models import CacheVersion

    assert CacheVersion.objects.filter(city=city).exists()
    CacheVersion.objects.filter(city=city).delete()
    client = Client()
    cold, _ = _queries(client, CITY)
    warm, _ = _queries(client, CITY)
    assert warm >= cold - 1 > 4  # built every time
    assert not [v for v in stored(shared) if "Testville" in _text([v])]
