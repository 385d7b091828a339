"""``safercities token create USER --scopes read,write [--name N]`` / ``token revoke PREFIX`` / ``token list``."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.api import tokens
from safercities.api.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. The full token is printed once, at creation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for USER")
        create.add_argument("user")
        create.add_argument("--scopes", default="read", help="comma-separated: read, write, admin")
        create.add_argument("--name", default="")
        create.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="revoke the token with this prefix")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="list tokens (of USER)")
        listing.add_argument("user", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}", returncode=2)
            try:
                token, secret = tokens.create_token(user=user, scopes=options["scopes"], name=options["name"])
            except tokens.TokenError as exc:
                raise CommandError(str(exc), returncode=2) from None
            if options["json"]:
                self.stdout.write(json.dumps({"prefix": token.prefix, "scopes": token.scopes, "token": secret}))
            else:
                self.stdout.write(
                    f"{secret}\n(prefix {token.prefix}, scopes {','.join(token.scopes)}; "
                    "store it now: it is not shown again)"
                )
        elif action == "revoke":
            try:
                token = tokens.revoke_token(options["prefix"])
            except tokens.TokenError as exc:
                raise CommandError(str(exc), returncode=1) from None
            self.stdout.write(f"revoked {token.prefix} ({token.user})")
        else:
            rows = ApiToken.objects.select_related("user")
            if options.get("user"):
                rows = rows.filter(user__username=options["user"])
            for token in rows:
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.prefix}  {token.user}  {','.join(token.scopes):<16} {state:<18} "
                    f"last used {used}  {token.name}"
                )
