"""Run every benchmark under bench/ in turn (``make bench``); each prints the figures docs/benchmarks.md quotes.

Benchmarks are not tests: they take minutes, load the machine, and their figures are recorded by hand
(or with a script's ``--write-docs``) together with the command that produced them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        failures += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
