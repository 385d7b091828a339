"""Trust: the audit trail of staff changes, backups, and behaviour while the database is down.

``record(...)`` is the one way to write an audit event; see :mod:`safercities.audit.trail`.
"""

from __future__ import annotations

from typing import Any


def record(**kwargs: Any) -> Any:
    """Append an audit event (lazy import: this package is imported before the app registry is ready)."""
    from safercities.audit.trail import record as _record

    return _record(**kwargs)
