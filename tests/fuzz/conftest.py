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


@pytest.fixture(scope="module", autouse=True)
def _vacuum_importer_tables(django_db_setup, django_db_blocker):
    """On PostgreSQL, vacuum the importer tables before each module of this folder.

    Every earlier test's rolled-back rows stay behind as dead tuples (autovacuum is off on the test
    servers), and ``row_counts()`` counts those tables thousands of times here: after the rest of the
    suite that was ~200 MB of dead rows per count, minutes of scanning instead of seconds.
    """
    from django.db import connection

    from tests.fuzz.helpers import TABLES

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                for model in TABLES.values():
                    cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")
    yield
