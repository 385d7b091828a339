"""Fixtures of the fuzz tests: uploads to a temporary media folder, no throttling, a deterministic
Hypothesis profile (the same examples on every CI run)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "safercities-ci",
    derandomize=True,
    max_examples=25,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
settings.load_profile("safercities-ci")


@pytest.fixture(autouse=True)
def _fuzz_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
