"""``safercities demo [--city demo] [--with-users] [--force]``: build the synthetic demo city.

Deterministic and idempotent: ``make run`` calls it on every start; a second run changes nothing.

Demo users have one documented, publicly known password. They are created when DEBUG is on (a
development machine) or when the operator passes ``--with-users`` explicitly; on an installation
with DEBUG off the data is built but no known-password account is created without that flag.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.demo.build import DEMO_PASSWORD, DEMO_USERS, DemoError, build_demo
from safercities.demo.generate import SEED


class Command(BaseCommand):
    help = "Build (or refresh) the synthetic demo city 'Ciudad Demo (synthetic)' through the importers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", default="demo", help="slug of the demo city (default: demo)")
        parser.add_argument(
            "--with-users",
            action="store_true",
            help="create the demo users (known password) even though DEBUG is off",
        )
        parser.add_argument("--force", action="store_true", help="run the importers even if nothing changed")
        parser.add_argument("--scale", type=float, default=1.0, help="a smaller city for quick trials (0 < s ≤ 1)")
        parser.add_argument("--seed", type=int, default=SEED, help="random seed (default: the documented one)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["scale"] <= 1:
            raise CommandError("--scale must be greater than 0 and at most 1", returncode=2)
        with_users = bool(options["with_users"] or settings.DEBUG)
        started = time.monotonic()
        try:
            result = build_demo(
                slug=options["city"],
                seed=options["seed"],
                scale=options["scale"],
                with_users=with_users,
                force=options["force"],
                log=self.stdout.write,
            )
        except DemoError as exc:
            raise CommandError(str(exc), returncode=1) from None
        city = result.city
        verb = "Created" if result.created_city else "Checked"
        self.stdout.write(
            f"{verb} {city.name} — slug {city.slug!r}, SYNTHETIC DATA (is_synthetic={city.is_synthetic}) "
            f"in {time.monotonic() - started:.1f} s."
        )
        if with_users:
            if not settings.DEBUG:
                self.stderr.write(
                    "WARNING: DEBUG is off and --with-users was given: demo accounts with a known password exist."
                )
            self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD!r} — demo only, never for real data):")
            for username, role in DEMO_USERS:
                state = "created" if username in result.users_created else "exists, password unchanged"
                self.stdout.write(f"  {username:<14} {role:<14} {state}")
        else:
            self.stdout.write("No demo users created: DEBUG is off. Pass --with-users to create them (known password).")
