"""`make screenshots` (scripts/screenshots.py): a whole-page PNG of every page type at each
width, taken here from the tests' live server and browser rather than a build of its own."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

from tests.browser.harness import PAGE_TYPES, VIEWPORTS

# the browser tests in two groups, each run on one worker (docs/testing.md)
pytestmark = pytest.mark.xdist_group("browser-journeys")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"


def _script():
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its IHDR chunk (PNG specification, section 11.2.2)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def test_a_screenshot_of_every_page_type_at_each_width(browser, live, tmp_path):
    written = _script().take(browser, live.base_url, tmp_path)
    expected = {f"{k.name}-{v}.png" for k in PAGE_TYPES for v, _, _ in VIEWPORTS}
    assert {p.name for p in written} == expected == {p.name for p in tmp_path.iterdir()}
    widths = {name: width for name, width, _ in VIEWPORTS}
    for path in written:
        width, height = _png_size(path)
        viewport = path.stem.rsplit("-", 1)[1]
        # whole pages: at least as wide as the viewport (wider where the page overflows it:
        # test_page_types checks which pages reflow), and as long as the page
        assert width >= widths[viewport] and height > 0, path.name
    overview = dict(zip([v for v, _, _ in VIEWPORTS],
                        [_png_size(tmp_path / f"overview-{v}.png")[1] for v, _, _ in VIEWPORTS],
                        strict=True))
    assert overview["mobile"] > 812, "the overview's phone screenshot is not the whole page"
