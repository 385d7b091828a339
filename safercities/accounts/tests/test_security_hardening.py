"""Issue 8: role changes and admin user changes audited, reset throttling, TOTP secrets encrypted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings

from safercities.accounts import crypto, totp, two_factor
from safercities.accounts.actions import grant_role, revoke_role
from safercities.accounts.models import Membership, TwoFactor
from safercities.audit.models import AuditEvent

PASSWORD = "correct horse battery staple"
T0 = 1_800_000_000.0


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


# --- role changes ------------------------------------------------------------------------------


def test_grant_and_revoke_by_someone_are_audited(city, alice, django_user_model):
    bob = django_user_model.objects.create_user("bob", password=PASSWORD)
    grant_role(user=bob, city=city, role="monitor", by=alice)
    grant_role(user=bob, city=city, role="analyst", by=alice)
    grant_role(user=bob, city=city, role="analyst", by=alice)  # no change: no event
    events = list(AuditEvent.objects.filter(action="membership.grant").order_by("pk"))
    assert [(e.before, e.after["role"]) for e in events] == [(None, "monitor"), ({"role": "monitor"}, "analyst")]
    assert all(e.username == "alice" and e.city == city for e in events)
    bob.refresh_from_db()
    assert bob.is_staff
    assert revoke_role(user=bob, city=city, by=alice) is True
    revoked = AuditEvent.objects.get(action="membership.revoke")
    assert revoked.before == {"role": "analyst", "user": "bob"} and revoked.after is None and revoked.city == city
    bob.refresh_from_db()
    assert not bob.is_staff and not Membership.objects.filter(user=bob).exists()
    assert revoke_role(user=bob, city=city, by=alice) is False
    assert AuditEvent.objects.filter(action="membership.revoke").count() == 1


def test_system_grants_without_an_actor_are_not_staff_changes(city, django_user_model):
    user = django_user_model.objects.create_user("seeded", password=PASSWORD)
    grant_role(user=user, city=city, role="resident")
    assert not AuditEvent.objects.exists()


def test_network_role_is_granted_without_a_city(city, nora, django_user_model):
    user = django_user_model.objects.create_user("net", password=PASSWORD)
    membership = grant_role(user=user, city=city, role="network_admin", by=nora)
    assert membership.city is None
    event = AuditEvent.objects.get(action="membership.grant")
    assert event.city is None and event.after["role"] == "network_admin"


# --- the Django admin's user pages ---------------------------------------------------------------


@pytest.fixture
def root(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def admin_client(root):
    client = Client()
    client.force_login(root)
    return client


@override_settings(TWO_FACTOR_REQUIRED=False)
def test_admin_user_add_change_and_password_are_audited(admin_client, root):
    User = get_user_model()
    added = admin_client.post(
        "/en/admin/auth/user/add/",
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a long passphrase 123",
            "password2": "a long passphrase 123",
        },
    )
    assert added.status_code == 302, added.content[:2000]
    newbie = User.objects.get(username="newbie")
    create = AuditEvent.objects.get(action="create", model_label="auth.user")
    assert create.username == "root" and create.after["username"] == "newbie"
    assert create.after["password"] == "(hidden)"

    page = admin_client.get(f"/en/admin/auth/user/{newbie.pk}/change/")
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name == "password":
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
            continue
        data[name] = value
    data.update({"email": "newbie@example.org", "is_staff": "on"})
    for key in ("last_login", "date_joined"):
        data.pop(key, None)
    data.update({"date_joined_0": "2026-01-01", "date_joined_1": "10:00:00"})
    changed = admin_client.post(f"/en/admin/auth/user/{newbie.pk}/change/", data)
    assert changed.status_code == 302, changed.context["adminform"].form.errors if changed.context else changed
    update = AuditEvent.objects.filter(action="update", model_label="auth.user").first()
    assert update.before["email"] == "" and update.after["email"] == "newbie@example.org"
    assert update.before["is_staff"] is False and update.after["is_staff"] is True

    password = admin_client.post(
        f"/en/admin/auth/user/{newbie.pk}/password/",
        {"password1": "another long phrase 456", "password2": "another long phrase 456", "usable_password": "true"},
    )
    assert password.status_code == 302
    event = AuditEvent.objects.get(action="user.set_password")
    assert event.object_id == str(newbie.pk) and "another" not in str(event.after)


@override_settings(TWO_FACTOR_REQUIRED=False)
def test_admin_user_delete_is_audited(admin_client, django_user_model):
    newbie = django_user_model.objects.create_user("newbie", password=PASSWORD)
    deleted = admin_client.post(f"/en/admin/auth/user/{newbie.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    gone = AuditEvent.objects.get(action="delete", model_label="auth.user")
    assert gone.before["username"] == "newbie" and gone.username == "root"


# --- password reset throttle ---------------------------------------------------------------------


@override_settings(PASSWORD_RESET_LIMIT_PER_ADDRESS=3, PASSWORD_RESET_LIMIT_PER_CLIENT=4)
def test_password_reset_is_limited_per_address_and_per_client(rita):
    from django.core import mail

    rita.email = "rita@example.org"
    rita.save()
    client = Client(REMOTE_ADDR="203.0.113.9")
    url = "/en/accounts/password/reset/"
    for _ in range(3):
        assert client.post(url, {"email": "Rita@example.org"}).status_code == 302
    refused = client.post(url, {"email": "rita@example.org"})
    assert refused.status_code == 429 and b"Too many password reset requests" in refused.content
    assert len(mail.outbox) == 3
    # Another client may not reset the same address either (the limit is per address).
    assert Client(REMOTE_ADDR="198.51.100.1").post(url, {"email": "rita@example.org"}).status_code == 429
    # The same client is limited across addresses too, whether or not they have accounts.
    assert client.post(url, {"email": "nobody@example.org"}).status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.post(url, {"email": "nobody@example.org"}).status_code == 302


def test_reset_counters_live_in_the_shared_cache(rita):
    """No counter in process memory: clearing Django's cache (as a restart of Redis would) resets them."""
    from safercities.accounts import throttle

    with override_settings(PASSWORD_RESET_LIMIT_PER_ADDRESS=1):
        assert throttle.password_reset_allowed("a@example.org", None)
        assert not throttle.password_reset_allowed("a@example.org", None)
        cache.clear()
        assert throttle.password_reset_allowed("a@example.org", None)


# --- TOTP secrets at rest ------------------------------------------------------------------------


def _raw_secret(device: TwoFactor) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_twofactor WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def test_totp_secret_column_holds_no_plaintext(rita):
    device = two_factor.start_enrolment(rita)
    raw = _raw_secret(device)
    assert raw.startswith(crypto.PREFIX) and device.secret not in raw
    assert TwoFactor.objects.get(pk=device.pk).secret == device.secret


@override_settings(TWO_FACTOR_REQUIRED=True)
def test_sign_in_with_totp_still_works_with_encrypted_secret(alice, monkeypatch):
    now = {"t": T0}
    monkeypatch.setattr(two_factor, "_now", lambda: now["t"])
    device = two_factor.start_enrolment(alice)
    assert two_factor.confirm_enrolment(device, totp.totp(totp._key(device.secret), T0)) is not None
    assert device.secret not in _raw_secret(device)
    client = Client()
    step = client.post("/en/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert step["Location"] == "/en/accounts/two-factor/verify/"
    now["t"] += 30
    code = totp.totp(totp._key(TwoFactor.objects.get(user=alice).secret), now["t"])
    done = client.post("/en/accounts/two-factor/verify/", {"code": code})
    assert done.status_code == 302 and int(client.session["_auth_user_id"]) == alice.pk


def test_data_migration_encrypts_existing_plaintext_secrets(rita, ana):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("safercities.accounts.migrations.0003_encrypt_totp_secrets")
    plain = totp.new_secret()
    legacy = two_factor.start_enrolment(rita)
    modern = two_factor.start_enrolment(ana)
    modern_raw = _raw_secret(modern)
    with connection.cursor() as cursor:  # a row as version 0002 left it
        cursor.execute("UPDATE accounts_twofactor SET secret = %s WHERE id = %s", [plain, legacy.pk])

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.encrypt_secrets(apps, editor)
    migration.encrypt_secrets(apps, editor)  # idempotent: already-encrypted values are left alone
    assert plain not in _raw_secret(legacy) and _raw_secret(legacy).startswith(crypto.PREFIX)
    assert TwoFactor.objects.get(pk=legacy.pk).secret == plain
    assert _raw_secret(modern) == modern_raw
    migration.decrypt_secrets(apps, editor)
    assert _raw_secret(legacy) == plain


def test_key_rotation_and_a_lost_key(rita, settings):
    device = two_factor.start_enrolment(rita)
    # Setting FIELD_ENCRYPTION_KEY later still reads secrets encrypted under the SECRET_KEY-derived key.
    settings.FIELD_ENCRYPTION_KEY = "a brand new key"
    assert TwoFactor.objects.get(pk=device.pk).secret == device.secret
    assert crypto.reencrypt_all() == 1
    # After re-encryption, the new key alone is enough.
    settings.SECRET_KEY = "a rotated secret key that is also long enough to be fine"
    assert TwoFactor.objects.get(pk=device.pk).secret == device.secret
    settings.FIELD_ENCRYPTION_KEY = "the wrong key"
    with pytest.raises(crypto.DecryptionError):
        TwoFactor.objects.get(pk=device.pk)


def test_a_fernet_key_is_used_as_given():
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    assert crypto._fernet_key(key.decode()) == key
    assert crypto._fernet_key("passphrase") != crypto._fernet_key("passphrase2")
