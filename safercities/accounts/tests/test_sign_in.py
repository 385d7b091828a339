"""Sign-in: session rotation, lockout, privacy of the throttle table, password change and reset."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings

from safercities.accounts.models import LoginFailure

PASSWORD = "correct horse battery staple"
LOGIN = "/en/accounts/login/"


def _post_login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_login_page_in_both_languages(client):
    english = client.get(LOGIN)
    assert english.status_code == 200
    assert b'lang="en"' in english.content and b"csrfmiddlewaretoken" in english.content
    spanish = client.get("/es/accounts/login/")
    assert spanish.status_code == 200 and b'lang="es"' in spanish.content


def test_login_rotates_the_session_and_shortens_staff_sessions(client, rita, ana):
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = planted
    response = _post_login(client, "rita")
    assert response.status_code == 302 and response["Location"] == "/en/"
    assert client.session.session_key != planted
    assert int(client.session["_auth_user_id"]) == rita.pk
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE

    staff = Client()
    assert _post_login(staff, "ana").status_code == 302
    assert staff.session.get_expiry_age() == settings.STAFF_SESSION_AGE < settings.SESSION_COOKIE_AGE


def test_wrong_password_is_refused_and_counted(client, rita):
    response = _post_login(client, "rita", "wrong password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.count() == 2  # one for the username, one for the address


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_lockout_after_repeated_failures_then_release(client, rita):
    for _ in range(3):
        _post_login(client, "rita", "guess")
    # Even the right password is not tried while the username is locked.
    locked = _post_login(client, "rita")
    assert locked.status_code == 200
    assert b"Too many failed attempts" in locked.content
    assert "_auth_user_id" not in client.session
    # Another username from the same address is not locked (the address limit is higher).
    assert b"Too many failed attempts" not in _post_login(client, "nobody", "guess").content
    # Once the failures leave the window, the right password works and clears the username's record.
    LoginFailure.objects.update(created_at=LoginFailure.objects.first().created_at - timedelta(hours=1))
    assert _post_login(client, "rita").status_code == 302
    assert "_auth_user_id" in client.session


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_success_clears_the_username_count(client, rita):
    _post_login(client, "rita", "guess")
    _post_login(client, "rita", "guess")
    assert _post_login(client, "rita").status_code == 302
    other = Client()
    _post_login(other, "rita", "guess")
    _post_login(other, "rita", "guess")
    # Two new failures only: the earlier two were forgotten at the successful sign-in.
    assert _post_login(other, "rita").status_code == 302


@override_settings(LOGIN_CLIENT_FAILURE_LIMIT=3)
def test_one_address_trying_many_usernames_is_slowed(client, rita):
    for name in ("a", "b", "c"):
        _post_login(client, name, "guess")
    assert b"Too many failed attempts" in _post_login(client, "rita").content
    # A different address is not affected.
    assert _post_login(Client(REMOTE_ADDR="10.9.8.7"), "rita").status_code == 302


def test_throttle_keeps_no_ip_or_username_in_clear(client, rita):
    _post_login(client, "rita", "guess", REMOTE_ADDR="203.0.113.77")
    rows = list(LoginFailure.objects.values_list("kind", "key"))
    assert len(rows) == 2
    for _kind, key in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", key)
        assert "203.0.113" not in key and "rita" not in key


def test_old_failures_are_purged(client, rita):
    _post_login(client, "rita", "guess")
    LoginFailure.objects.update(created_at=LoginFailure.objects.first().created_at - timedelta(days=1))
    _post_login(client, "someone", "guess")
    assert LoginFailure.objects.count() == 2  # only the new failure's two rows remain


def test_admin_login_goes_through_our_sign_in(client):
    response = client.get("/en/admin/login/?next=/en/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=%2Fen%2Fadmin%2F"
    # And the admin itself sends anonymous visitors there.
    assert client.get("/en/admin/", follow=True).redirect_chain[-1][0].startswith("/en/accounts/login/")


def test_logout_is_a_post(client, rita):
    client.force_login(rita)
    assert client.post("/en/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_signs_out_other_sessions(rita):
    here, elsewhere = Client(), Client()
    _post_login(here, "rita")
    _post_login(elsewhere, "rita")
    assert elsewhere.get("/en/accounts/two-factor/").status_code == 200
    weak = here.post(
        "/en/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "password1", "new_password2": "password1"},
    )
    assert weak.status_code == 200 and b"too common" in weak.content  # validators apply
    new = "a much longer passphrase 42"
    changed = here.post(
        "/en/accounts/password/change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert changed.status_code == 302
    assert here.get("/en/accounts/two-factor/").status_code == 200  # this session stays
    assert elsewhere.get("/en/accounts/two-factor/").status_code == 302  # the other one is gone


def test_password_reset_by_email(client, rita):
    rita.email = "rita@example.org"
    rita.save(update_fields=["email"])
    assert client.post("/en/accounts/password/reset/", {"email": "rita@example.org"}).status_code == 302
    # An unknown address gets the same answer and no e-mail.
    assert client.post("/en/accounts/password/reset/", {"email": "nobody@example.org"}).status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rita@example.org"] and "password" in message.subject.lower()
    assert "rita" in message.body
    link = re.search(r"https?://[^/\s]+(/en/accounts/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    new = "another long passphrase 7"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert _post_login(Client(), "rita", new).status_code == 302
    # The link works once.
    assert b"new_password1" not in client.get(link, follow=True).content


def test_cookie_settings():
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax" and settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert settings.STAFF_SESSION_AGE <= 12 * 3600


@pytest.mark.parametrize("path", ["/en/accounts/two-factor/", "/en/accounts/password/change/"])
def test_account_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/en/accounts/login/")
