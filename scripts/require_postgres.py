"""Fail loudly when PostgreSQL is unreachable: a skipped PostgreSQL run must never look green."""

from __future__ import annotations

import sys

import psycopg


def main(url: str) -> int:
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        print(f"PostgreSQL at {url} is not reachable: {exc}", file=sys.stderr)
        print("The suite must run on PostgreSQL too; start it (see docs/operations.md).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
