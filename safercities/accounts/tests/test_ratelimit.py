"""The shared per-client rate limit (accounts/ratelimit.py) behind reports, surveys, Open311 and resets.

Time is a fake clock driving a private LocMemCache, so windows expire without waiting.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache.backends import base as cache_base
from django.core.cache.backends import locmem
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from safercities.accounts import ratelimit
from safercities.accounts.ratelimit import ClientLimit, parse_rate

ADDRESS = "203.0.113.7"


@pytest.fixture
def clock(monkeypatch):
    """A private in-memory cache whose notion of "now" the test moves by hand."""
    now = SimpleNamespace(value=1_800_000_000.0)
    fake_time = SimpleNamespace(time=lambda: now.value)
    monkeypatch.setattr(locmem, "time", fake_time)
    monkeypatch.setattr(cache_base, "time", fake_time)
    store = locmem.LocMemCache("ratelimit-tests", {})
    store.clear()
    monkeypatch.setattr(ratelimit, "cache", store)
    now.store = store
    return now


def request(address: str = ADDRESS):
    return RequestFactory().post("/", REMOTE_ADDR=address)


# --- rates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("10/h", (10, 3600)),
        ("5/m", (5, 60)),
        ("3/min", (3, 60)),
        ("2/d", (2, 86400)),
        ("7/s", (7, 1)),
        ("4", (4, 3600)),
        (" 6 / h ", (6, 3600)),
        ("0/h", (0, 3600)),
        ("", None),
        ("   ", None),
    ],
)
def test_rates_are_parsed_with_hours_as_the_default_unit(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["abc/h", "10/week", "/h", "-1/h", "1e3/h", "10/h/2", "10/H", "½/h", "10/\x00"])
def test_a_malformed_rate_is_refused_naming_the_value(rate):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_rate(rate)
    assert repr(rate) in str(refused.value) and "10/h" in str(refused.value)


# --- counting ------------------------------------------------------------------------------------


def test_a_client_is_refused_past_its_budget_and_others_are_not(clock):
    limit = ClientLimit(scope="test", limit=2, window=60)
    assert [limit.allow(request()) for _ in range(3)] == [True, True, False]
    assert limit.allow(request("198.51.100.1"))  # a different client has its own budget
    assert limit.used(request()) == 3


def test_the_window_expires_and_a_new_one_starts(clock):
    limit = ClientLimit(scope="test", limit=1, window=60)
    assert limit.allow(request())
    clock.value += 59
    assert not limit.allow(request())  # still inside the window opened at t=0
    assert limit.exhausted(request())
    clock.value += 1  # t=60: the window opened at t=0 is over
    assert not limit.exhausted(request()) and limit.used(request()) == 0
    assert limit.allow(request())
    assert not limit.allow(request())


def test_exhausted_looks_without_counting(clock):
    limit = ClientLimit(scope="test", limit=1, window=60)
    for _ in range(5):
        assert not limit.exhausted(request())
    assert limit.used(request()) == 0
    assert limit.count(request()) == 1
    assert limit.exhausted(request())


def test_a_window_closing_between_add_and_incr_opens_a_new_one(clock, monkeypatch):
    """The race the shared code handles: ``add`` sees the old key, ``incr`` no longer finds it."""
    store = clock.store
    key = ratelimit.key_for("test", ADDRESS)
    store.set(key, 5, timeout=60)
    real_add = store.add

    def add_then_expire(*args, **kwargs):
        added = real_add(*args, **kwargs)
        store.delete(key)  # the old window ends right after add refused to overwrite it
        return added

    monkeypatch.setattr(store, "add", add_then_expire)
    assert ratelimit.increment(key, 60) == 1  # not a ValueError, not 6
    assert store.get(key) == 1


def test_the_new_window_after_the_race_expires_too(clock, monkeypatch):
    store = clock.store
    key = ratelimit.key_for("test", ADDRESS)
    monkeypatch.setattr(store, "add", lambda *args, **kwargs: False)  # as if another process won add
    assert ratelimit.increment(key, 60) == 1
    clock.value += 60
    assert store.get(key) is None  # the fallback set a timeout: the counter does not live for ever


@pytest.mark.parametrize("limit", [ClientLimit(scope="test", limit=0, window=60), ClientLimit.from_rate("test", "")])
def test_a_limit_of_zero_or_an_empty_rate_disables_it_and_stores_nothing(clock, limit):
    assert not limit.enabled
    assert all(limit.allow(request()) for _ in range(50))
    assert not limit.exhausted(request())
    assert limit.count(request()) == 0
    assert clock.store._cache == {}  # type: ignore[attr-defined]


# --- privacy -------------------------------------------------------------------------------------


def test_the_key_holds_no_address_and_depends_on_the_secret_key(clock, settings):
    limit = ClientLimit(scope="test", limit=3, window=60)
    key = limit.key(request())
    assert ADDRESS not in key and ADDRESS.replace(".", "") not in key
    assert key.startswith("ratelimit:test:")
    assert key == limit.key(request())  # stable: the same client meets the same counter
    assert key != limit.key(request("203.0.113.8"))
    assert key != ClientLimit(scope="other", limit=3, window=60).key(request())  # scopes do not share
    limit.count(request())
    assert ADDRESS not in repr(clock.store._cache)  # type: ignore[attr-defined]
    settings.SECRET_KEY = "another installation's secret key, long enough for the checks" * 2
    assert limit.key(request()) != key  # without the secret, a guessed address cannot be tested


def test_behind_a_trusted_proxy_the_last_forwarded_hop_is_the_client(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forwarded = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert ratelimit.client_address(forwarded) == ADDRESS
    settings.SECURE_PROXY_SSL_HEADER = None
    assert ratelimit.client_address(forwarded) == "10.0.0.1"  # no proxy: the header is the client's to forge
    assert ratelimit.client_address(None) == "unknown"


def test_a_malformed_rate_setting_is_a_system_check_error(settings):
    """``manage.py check`` names the setting and the value; a good or empty value passes."""
    from safercities.accounts.ratelimit import check_rate_settings

    settings.SURVEYS_RATE, settings.OPEN311_RATE = "10/week", ""
    errors = check_rate_settings()
    assert [e.id for e in errors] == ["safercities.E001"]
    assert "SURVEYS_RATE" in errors[0].msg and "10/week" in errors[0].msg
    settings.SURVEYS_RATE = "3/min"
    assert check_rate_settings() == []
