"""The ``safercities`` console script: the same commands as ``manage.py``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safercities.settings")
    # The embedded SQLite database lives in DATA_DIR; create it so a fresh checkout just works.
    # (Settings do no I/O, so the entry point does it.)
    from django.conf import settings

    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["safercities", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
