"""TOTP against the published test vectors, and the guards around it (drift window, replay)."""

import pytest

from safercities.accounts import totp

# Reference: RFC 6238 Appendix B (8 digits; seeds are the ASCII strings below).
SEED_SHA1 = b"12345678901234567890"
SEED_SHA256 = b"12345678901234567890123456789012"
SEED_SHA512 = b"1234567890123456789012345678901234567890123456789012345678901234"
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("when", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_appendix_b(when, sha1, sha256, sha512):
    assert totp.totp(SEED_SHA1, when, digits=8, digest="sha1") == sha1
    assert totp.totp(SEED_SHA256, when, digits=8, digest="sha256") == sha256
    assert totp.totp(SEED_SHA512, when, digits=8, digest="sha512") == sha512


def test_rfc4226_appendix_d_hotp():
    # Reference: RFC 4226 Appendix D, counters 0..9 with the same SHA-1 seed, 6 digits.
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(SEED_SHA1, counter) for counter in range(10)] == expected


def test_base32_secret_round_trip_and_window():
    import base64

    secret = base64.b32encode(SEED_SHA1).decode()
    code = totp.totp(SEED_SHA1, 1111111109)
    assert totp.matching_step(secret, code, 1111111109) == 1111111109 // 30
    # One step of clock drift either way is accepted, two are not.
    assert totp.matching_step(secret, code, 1111111109 + 30) is not None
    assert totp.matching_step(secret, code, 1111111109 - 30) is not None
    assert totp.matching_step(secret, code, 1111111109 + 90) is None
    # Replay: a step already used is refused.
    assert totp.matching_step(secret, code, 1111111109, after_step=1111111109 // 30) is None
    assert totp.matching_step(secret, "12345", 1111111109) is None
    assert totp.matching_step(secret, "abcdef", 1111111109) is None


def test_new_secret_and_uri():
    secret = totp.new_secret()
    assert len(secret) == 32 and secret.isalnum() and secret.upper() == secret
    assert secret != totp.new_secret()
    uri = totp.provisioning_uri(secret, account="alice", issuer="Safer Cities Monitor")
    assert uri.startswith("otpauth://totp/Safer%20Cities%20Monitor%3Aalice?")
    assert f"secret={secret}" in uri and "period=30" in uri and "digits=6" in uri
