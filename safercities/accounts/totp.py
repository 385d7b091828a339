"""Time-based one-time passwords (RFC 6238, on HOTP RFC 4226) with the standard library only.

Why no dependency: the algorithm is twenty lines of ``hmac`` and ``struct``, and every authenticator
app (Aegis, FreeOTP, Google Authenticator) speaks the default profile used here: SHA-1, 6 digits,
30-second steps, a base32 secret, provisioned through an ``otpauth://`` URI.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """A random 160-bit secret in base32 without padding (RFC 4226 §4 recommends 160 bits)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """HOTP value for ``counter`` (RFC 4226 §5.3: HMAC, dynamic truncation, modulo 10^digits)."""
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def step_at(timestamp: float) -> int:
    """The RFC 6238 time step T = floor((unix time − T0) / X) with T0 = 0, X = 30 s."""
    return int(timestamp // STEP_SECONDS)


def totp(key: bytes, timestamp: float, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """TOTP value at ``timestamp`` (seconds since the Unix epoch)."""
    return hotp(key, step_at(timestamp), digits=digits, digest=digest)


def matching_step(secret: str, code: str, timestamp: float, *, after_step: int = 0, window: int = 1) -> int | None:
    """The time step at which ``code`` is valid, allowing ``window`` steps of clock drift either way.

    Steps not later than ``after_step`` are refused so that a code, once used, cannot be replayed.
    """
    code = "".join(code.split())
    if not code.isdigit() or len(code) != DIGITS:
        return None
    key = _key(secret)
    now = step_at(timestamp)
    for step in range(now - window, now + window + 1):
        if step > after_step and hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/…`` URI that authenticator apps import (Key Uri Format)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": 30})
    return f"otpauth://totp/{label}?{query}"
