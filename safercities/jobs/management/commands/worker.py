"""``safercities worker``: run background jobs until stopped (``--once`` to drain and exit)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safercities.jobs.queue import run_pending


class Command(BaseCommand):
    help = "Run queued background jobs (recomputing results after data changes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args: Any, **options: Any) -> None:
        # The compute's modules once, now, rather than in every job's time (a long-lived worker).
        __import__("safercities.monitoring.compute", fromlist=["preload"]).preload()
        while True:
            count = run_pending()
            if count:
                self.stdout.write(f"ran {count} job(s)")
            if options["once"]:
                return
            time.sleep(options["interval"])
