"""Screenshots of every page type (tests/browser/harness.py's PAGE_TYPES), as PNGs in
screenshots/ (git ignores it): `make screenshots`.

By default a small synthetic lake (20,000 people) is generated and built in a temporary
folder, so the command needs nothing else; `--lake` uses an existing lake instead (the demo's
data/blmk, say). Each page is taken whole, at a desktop width and at a phone's, by Debian's
Chromium (`make chromium`), signed in as the page type's role where it has one.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the harness lives with the tests: one list of page types

from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from tests.browser.harness import (  # noqa: E402
    CHROMIUM,
    PAGE_TYPES,
    VIEWPORTS,
    build_site,
    chromium_missing,
    serve,
)
from tests.browser.signin import sign_in  # noqa: E402

from icsight.synth import DEFAULT_REFERENCE_DATE  # noqa: E402
from icsight.synth.generate import generate_lake  # noqa: E402


def take(browser: Browser, base_url: str, out: Path) -> list[Path]:
    """Screenshot every page type served at `base_url` at each of `VIEWPORTS`, whole pages,
    signed in as the page type's role where it has one (the build's accounts), into
    `out` as <page type>-<viewport>.png; the files written."""
    written = []
    for kind in PAGE_TYPES:
        for viewport, width, height in VIEWPORTS:
            context = browser.new_context(base_url=base_url,
                                          viewport={"width": width, "height": height})
            try:
                page = context.new_page()
                if kind.role:
                    sign_in(page, kind.role)
                page.goto(kind.path)
                path = out / f"{kind.name}-{viewport}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
            finally:
                context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Write screenshots/<page type>-<viewport>.png for every page type; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, help="an existing lake (default: generate one)")
    parser.add_argument("--population", type=int, default=20_000,
                        help="people in the generated lake (default 20,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args(argv)
    missing = chromium_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="icsight-screenshots-") as work:
        lake = args.lake
        if lake is None:
            lake = Path(work) / "lake"
            print(f"generating a {args.population:,}-person lake")
            # a throwaway key: the lake is synthetic and deleted afterwards
            generate_lake(lake, population=args.population, seed=1,
                          reference_date=DEFAULT_REFERENCE_DATE,
                          key=secrets.token_bytes(32))
        print("building")
        site = build_site(lake, Path(work))
        with serve(site.app) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            for path in take(browser, base_url, args.out):
                print(f"wrote {path}")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
