"""Encryption at rest for secrets the application must read back (TOTP seeds).

Hashing is not possible for a TOTP secret: the server recomputes codes from it. So the column holds a
Fernet token (AES-128-CBC + HMAC-SHA256, ``cryptography``) and a database dump or a leaked backup
gives no working second factor.

Keys: ``FIELD_ENCRYPTION_KEY`` (setting, else environment variable) — one or more comma-separated
secrets, the first encrypts and all decrypt (rotation: put the new key first, keep the old one until
``manage.py shell -c 'from safercities.accounts.crypto import reencrypt_all; reencrypt_all()'`` ran).
Without it the key is derived from ``SECRET_KEY`` (and ``SECRET_KEY_FALLBACKS`` for decryption), so a
deployment that sets nothing is still encrypted, but rotating ``SECRET_KEY`` then needs the old value
kept in ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "gAAAA"  # every Fernet token starts with version byte 0x80 and a 64-bit timestamp


class DecryptionError(RuntimeError):
    """A stored value cannot be decrypted with any configured key (a lost or wrong key)."""


def _fernet_key(material: str) -> bytes:
    """A Fernet key as given, else one derived from any secret string (SHA-256 of a labelled input)."""
    raw = material.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32 and len(raw) == 44:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(b"safercities.field-encryption:" + raw).digest())


def _materials() -> list[str]:
    configured = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or os.environ.get("FIELD_ENCRYPTION_KEY", "")
    keys = [part for part in str(configured).split(",") if part.strip()]
    keys += [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return keys


def fernet() -> MultiFernet:
    """The first configured key encrypts; every configured and SECRET_KEY-derived key decrypts."""
    return MultiFernet([Fernet(_fernet_key(material)) for material in _materials()])


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError(
            "a stored secret cannot be decrypted: FIELD_ENCRYPTION_KEY or SECRET_KEY changed without "
            "keeping the old value (see docs/security.md)"
        ) from exc


def is_encrypted(value: str) -> bool:
    if not value.startswith(PREFIX):
        return False
    try:
        decrypt(value)
    except DecryptionError:
        return False
    return True


class EncryptedCharField(models.CharField):
    """A text column stored as a Fernet token; Python code sees the clear value."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


def reencrypt_all() -> int:
    """Rewrite every encrypted column under the first key (after a key rotation); returns rows."""
    from safercities.accounts.models import TwoFactor

    count = 0
    for device in TwoFactor.objects.all():
        device.save(update_fields=["secret"])
        count += 1
    return count
