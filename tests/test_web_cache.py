"""Kept pages: a page is made once per build and principal, every response still has its own
CSP nonce, a new build is never answered from the old one, what one role sees is never served
to another, and only whole pages are kept."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.services import Service
from icsight.web.views.cache import PageCache
from tests.accounts import PASSWORD, SECRET
from tests.sessions import signed_in_client
from tests.test_overview_changes import _row, _run


@pytest.fixture
def site(tmp_path):
    exact = [_row("icb", "BLMK", 61.3, 613, 1000), _row("place", "Luton", 3.0, 3, 100)]
    published = pd.DataFrame(exact)
    published.loc[published.group == "Luton", ["value", "numerator", "suppressed"]] = \
        [float("nan"), float("nan"), True]
    results = _run(tmp_path / "r", pd.DataFrame(exact), published)
    accounts = Accounts(f"sqlite:///{tmp_path / 'app.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    app = create_app(Service(tmp_path, results, tmp_path / "audit.jsonl"), accounts, SECRET)
    return {"app": app, "results": results}


def _nonce(response) -> tuple[str, str]:
    """The nonce in the page's script tag, and the one its policy allows."""
    in_page = re.search(r'nonce="([^"]+)"', response.text).group(1)
    in_policy = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
    return in_page, in_policy.group(1)


def test_a_kept_page_gets_a_new_nonce_each_time(site):
    client = TestClient(site["app"], base_url="https://testserver")
    first, second = client.get("/"), client.get("/")
    assert len(site["app"].state.page_cache) == 1  # made once, served twice
    (page1, policy1), (page2, policy2) = _nonce(first), _nonce(second)
    assert page1 == policy1 and page2 == policy2 and page1 != page2
    assert first.text.replace(page1, "") == second.text.replace(page2, "")


def test_a_new_build_is_not_answered_from_the_old_one(site):
    client = TestClient(site["app"], base_url="https://testserver")
    assert "61.3%" in client.get("/indicators/CVDP007HYP").text
    newer = site["results"] / "run-2"
    newer.mkdir()
    old = site["results"] / "run-1"
    for f in old.iterdir():
        (newer / f.name).write_bytes(f.read_bytes())
    # a build has its own id (the charts drawn from a run are kept by it)
    provenance = (newer / "provenance.json").read_text().replace('"run-1"', '"run-2"')
    (newer / "provenance.json").write_text(provenance)
    values = pd.read_parquet(newer / "published_values.parquet")
    values.loc[values.breakdown == "icb", "value"] = 64.2
    values.to_parquet(newer / "published_values.parquet")
    (site["results"] / "LATEST").write_text("run-2")
    page = client.get("/indicators/CVDP007HYP").text
    assert "64.2%" in page and "61.3%" not in page


def test_one_role_is_never_served_anothers_page(site):
    public = TestClient(site["app"], base_url="https://testserver")
    assert "withheld" in public.get("/indicators/CVDP007HYP").text
    analyst = signed_in_client(site["app"], "ana")
    page = analyst.get("/indicators/CVDP007HYP").text
    assert "3.0%" in page and "ana (analyst)" in page
    assert "ana (analyst)" not in public.get("/indicators/CVDP007HYP").text


def test_only_whole_pages_are_kept(site):
    client = TestClient(site["app"], base_url="https://testserver")
    assert client.get("/programmes/nope").status_code == 404
    assert client.get("/indicators/NOPE").status_code == 404
    assert len(site["app"].state.page_cache) == 0


def test_the_least_recently_served_go_first_beyond_the_limit():
    cache = PageCache(limit=10)
    cache.put(("a",), b"12345", "n")
    cache.put(("b",), b"12345", "n")
    assert cache.get(("a",)) is not None  # a is now the more recent
    cache.put(("c",), b"12345", "n")
    assert cache.get(("b",)) is None and cache.get(("a",)) and cache.get(("c",))
    cache.put(("d",), b"x" * 11, "n")  # larger than the whole cache: not kept
    assert cache.get(("d",)) is None and len(cache) == 2


def test_kept_figures_are_drawn_once_and_the_least_recent_dropped_first():
    from icsight.web.views.cache import KeptFigures

    drawn = []
    kept = KeptFigures(limit=2)

    def draw(name):
        return lambda: drawn.append(name) or f"figure {name}"

    assert kept.get_or_make(("a",), draw("a")) == "figure a"
    assert kept.get_or_make(("a",), draw("a")) == "figure a"  # kept: not drawn again
    kept.get_or_make(("b",), draw("b"))
    kept.get_or_make(("a",), draw("a"))  # a is now the most recent
    kept.get_or_make(("c",), draw("c"))  # beyond the limit: b, the least recent, goes
    assert len(kept) == 2
    kept.get_or_make(("a",), draw("a"))
    kept.get_or_make(("b",), draw("b"))
    assert drawn == ["a", "b", "c", "b"]
