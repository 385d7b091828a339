"""A deterministic Hypothesis profile for CI: the same examples on every run, a bounded number of them."""

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
def _quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


from tests.fuzz.conftest import _vacuum_importer_tables  # noqa: E402, F401  (the same PostgreSQL clean-up)
