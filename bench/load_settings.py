"""Settings of the site ``bench/load.py`` serves: the product's own, with the API throttle's rates raised.

Every load-generator client comes from 127.0.0.1, so the product's per-address budget for anonymous API
callers (120 requests a minute) would answer 429 after two seconds of the run: the benchmark measures the
server, not the throttle. The throttle still runs (its counter is read and written in the cache on every
API request), only its limit is out of reach. Nothing else differs.
"""

from __future__ import annotations

from safercities.settings import *  # noqa: F403 — the same settings, middleware and caches

API_THROTTLE_ANON = "100000000/min"
API_THROTTLE_USER = "100000000/min"
# Same reason for the report form's per-address limit (5 reports per 10 minutes): still counted, never reached.
REPORTS_RATE_LIMIT = 100000000
