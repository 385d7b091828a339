"""Screenshots of the public pages (desktop and a 360-px phone) into docs/screenshots/.

Run against a live server with the demo city, e.g.::

    make run            # in another terminal: builds the demo city, serves http://127.0.0.1:8000
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000 --city demo

Drives Debian's chromium through Playwright (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 360, "height": 740}}


def pages(city: str, area: str, indicator: str) -> dict[str, str]:
    return {
        "home": "/en/",
        "city": f"/en/cities/{city}/",
        "city-es": f"/es/cities/{city}/",
        "area": f"/en/cities/{city}/areas/{area}/",
        "indicator": f"/en/cities/{city}/indicators/{indicator}/",
        "network": "/en/network/",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--city", default="demo")
    parser.add_argument("--area", default="N069")
    parser.add_argument("--indicator", default="violent-crime-rate")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots"))
    parser.add_argument("--full-page", action="store_true", help="whole page rather than the first screens")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True
        )
        page = context.new_page()
        for name, path in pages(args.city, args.area, args.indicator).items():
            for device, viewport in VIEWPORTS.items():
                page.set_viewport_size(viewport)
                page.goto(args.url.rstrip("/") + path, wait_until="load")
                target = out / f"{name}-{device}.png"
                page.screenshot(path=str(target), full_page=args.full_page)
                print(target)
        context.close()


if __name__ == "__main__":
    main()
