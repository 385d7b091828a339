"""The app's operations in the ``/api/v1/`` JSON API (mounted by ``safercities/api/api.py``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["reports"])
