"""Two-factor sign-in: required for city and network admins, optional for others; recovery codes."""

import re

import pytest
from django.test import Client, override_settings

from safercities.accounts import totp, two_factor
from safercities.accounts.models import LoginFailure, RecoveryCode, TwoFactor

PASSWORD = "correct horse battery staple"
T0 = 1_800_000_000.0


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock for the code checks: each call to ``tick`` moves to the next 30-s step."""
    state = {"now": T0}
    monkeypatch.setattr(two_factor, "_now", lambda: state["now"])

    def tick():
        state["now"] += 30
        return state["now"]

    return state, tick


def _code(user, when):
    device = TwoFactor.objects.get(user=user)
    return totp.totp(totp._key(device.secret), when)


def _login(client, username, **extra):
    return client.post("/en/accounts/login/", {"username": username, "password": PASSWORD}, **extra)


def _enrol(client, user, clock):
    state, _tick = clock
    page = client.get("/en/accounts/two-factor/")
    assert page.status_code == 200
    secret = TwoFactor.objects.get(user=user).secret
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).encode() in page.content
    assert b"otpauth://totp/" in page.content
    done = client.post("/en/accounts/two-factor/", {"code": _code(user, state["now"])})
    assert done.status_code == 200
    return re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.content.decode())


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_city_admin_must_enrol_before_any_staff_page(client, alice, clock):
    response = _login(client, "alice")
    assert response.status_code == 302 and response["Location"] == "/en/accounts/two-factor/"
    admin = client.get("/en/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/en/accounts/two-factor/?next=")
    assert client.get("/en/audit/testville/").status_code == 302
    codes = _enrol(client, alice, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Only hashes are stored.
    stored = set(RecoveryCode.objects.filter(user=alice).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert client.get("/en/admin/").status_code == 200


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_network_admin_is_required_too(client, nora):
    _login(client, "nora")
    assert client.get("/en/admin/")["Location"].startswith("/en/accounts/two-factor/")


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_sign_in_with_a_code(alice, clock):
    state, tick = clock
    _login(setup := Client(), "alice")
    _enrol(setup, alice, clock)

    client = Client()
    response = _login(client, "alice", QUERY_STRING="next=/en/admin/")
    assert response.status_code == 302 and response["Location"] == "/en/accounts/two-factor/verify/"
    # The password alone does not sign in.
    assert "_auth_user_id" not in client.session
    assert client.get("/en/admin/").status_code == 302
    wrong = client.post("/en/accounts/two-factor/verify/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(kind="username").count() == 1
    before = client.session.session_key
    ok = client.post("/en/accounts/two-factor/verify/", {"code": _code(alice, tick())})
    assert ok.status_code == 302 and ok["Location"] == "/en/admin/"
    assert int(client.session["_auth_user_id"]) == alice.pk
    assert client.session.session_key != before
    assert client.get("/en/admin/").status_code == 200
    assert LoginFailure.objects.filter(kind="username").count() == 0
    assert "_2fa_pending_user" not in client.session


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_a_code_cannot_be_replayed(alice, clock):
    state, tick = clock
    _login(setup := Client(), "alice")
    _enrol(setup, alice, clock)
    code = _code(alice, tick())
    first = Client()
    _login(first, "alice")
    assert first.post("/en/accounts/two-factor/verify/", {"code": code}).status_code == 302
    second = Client()
    _login(second, "alice")
    assert second.post("/en/accounts/two-factor/verify/", {"code": code}).status_code == 200
    assert "_auth_user_id" not in second.session


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_recovery_code_works_once(alice, clock):
    _login(setup := Client(), "alice")
    codes = _enrol(setup, alice, clock)
    client = Client()
    _login(client, "alice")
    assert client.post("/en/accounts/two-factor/verify/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    _login(again, "alice")
    assert again.post("/en/accounts/two-factor/verify/", {"code": codes[0]}).status_code == 200
    assert RecoveryCode.objects.filter(user=alice, used_at__isnull=False).count() == 1


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_session_without_verification_is_sent_to_the_code_step(client, alice, clock):
    _login(setup := Client(), "alice")
    _enrol(setup, alice, clock)
    client.force_login(alice)  # a session that did not pass the second step
    response = client.get("/en/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/en/accounts/two-factor/verify/")


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_two_factor_is_optional_for_residents_and_analysts(client, rita, ana, clock):
    assert _login(client, "rita")["Location"] == "/en/"
    assert client.get("/en/accounts/password/change/").status_code == 200
    staff = Client()
    _login(staff, "ana")
    assert staff.get("/en/admin/").status_code == 200
    # Rita may turn it on, and off again with her password.
    _enrol(client, rita, clock)
    assert TwoFactor.objects.get(user=rita).confirmed_at is not None
    refused = client.post("/en/accounts/two-factor/disable/", {"password": "wrong"})
    assert refused.status_code == 400 and TwoFactor.objects.filter(user=rita).exists()
    assert client.post("/en/accounts/two-factor/disable/", {"password": PASSWORD}).status_code == 302
    assert not TwoFactor.objects.filter(user=rita).exists()
    assert not RecoveryCode.objects.filter(user=rita).exists()


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_admins_cannot_turn_it_off(client, alice, clock):
    _login(client, "alice")
    _enrol(client, alice, clock)
    response = client.post("/en/accounts/two-factor/disable/", {"password": PASSWORD})
    assert response.status_code == 400
    assert TwoFactor.objects.filter(user=alice, confirmed_at__isnull=False).exists()


def test_wrong_enrolment_code_does_not_confirm(client, rita, clock):
    client.force_login(rita)
    client.get("/en/accounts/two-factor/")
    response = client.post("/en/accounts/two-factor/", {"code": "123456"})
    assert response.status_code == 200 and b"not valid" in response.content
    assert TwoFactor.objects.get(user=rita).confirmed_at is None
