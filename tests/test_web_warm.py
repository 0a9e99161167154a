"""Warming the kept pages at start-up: which pages, made as the public would ask for them and
kept, the background thread giving way while people's requests are being answered, and the
setting's values."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.governance.access import ANONYMOUS
from icsight.indicators.definition import PROGRAMMES
from icsight.services import Service
from icsight.web.warm import (
    WARM_HEADER,
    CountInFlight,
    InFlight,
    Warmer,
    pages_to_warm,
    warm_at_start,
)
from tests.accounts import SECRET
from tests.test_web_cache import site  # noqa: F401  (the fixture: a one-indicator build)


def _run(coroutine):
    """`coroutine`'s result, run in a thread of its own (a browser test in the same worker
    may leave Playwright's event loop running in this one)."""
    out = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(coroutine)))
    thread.start()
    thread.join()
    return out[0]


def _services(app) -> Service:
    return app.state.services


def test_the_overview_comes_first_then_every_section_of_the_public_site(site):  # noqa: F811
    services = _services(site["app"])
    main = pages_to_warm(services, "main")
    assert main[0] == "/"
    assert {"/programmes", "/strategy", "/places"} <= set(main)
    assert {f"/programmes/{p}" for p in PROGRAMMES} <= set(main)
    assert {f"/programmes/{p}/inequalities" for p in PROGRAMMES} <= set(main)
    # only indicators in the build: an unbuilt one is a page saying so, not worth keeping
    assert [p for p in main if p.startswith("/indicators/")] == ["/indicators/CVDP007HYP"]
    places = {row["place"] for row in services.areas.hierarchy(ANONYMOUS)}
    assert len([p for p in main if p.startswith("/places/")]) == len(places)
    assert not any(p.startswith(("/pcns/", "/practices/")) for p in main)
    every = pages_to_warm(services, "all")
    assert every[:len(main)] == main
    practices = {row["practice_code"] for row in services.areas.hierarchy(ANONYMOUS)}
    assert {p.rsplit("/", 1)[1] for p in every if p.startswith("/practices/")} == practices
    assert len(every) == len(set(every))


def test_a_build_without_planning_tables_warms_no_planning_page(site):  # noqa: F811
    services = _services(site["app"])
    assert services.projections.build() == {}
    assert not any(p.startswith("/planning") for p in pages_to_warm(services, "all"))


def test_none_warms_nothing_and_a_bad_value_says_what_is_allowed(site):  # noqa: F811
    services = _services(site["app"])
    assert pages_to_warm(services, "none") == []
    with pytest.raises(ValueError, match="ICSIGHT_WARM_PAGES must be one of all, main, none"):
        pages_to_warm(services, "everything")


def test_before_any_build_there_is_nothing_to_warm(tmp_path):
    accounts = Accounts(f"sqlite:///{tmp_path / 'app.db'}")
    empty = tmp_path / "results"
    empty.mkdir()
    app = create_app(Service(tmp_path, empty, tmp_path / "audit.jsonl"), accounts, SECRET)
    assert pages_to_warm(app.state.services, "all") == []
    warmer = warm_at_start(app, app.state.services, "all")
    assert warmer.made == [] and warmer.thread is None


def test_warmed_pages_are_kept_and_served_to_the_public_as_made(site):  # noqa: F811
    app = site["app"]
    warmer = Warmer(app, ["/", "/programmes"])
    made = warmer.first(2)
    assert [(path, status) for path, status, _ in made] == [("/", 200), ("/programmes", 200)]
    assert len(app.state.page_cache) == 2
    client = TestClient(app, base_url="https://testserver")
    page = client.get("/")
    assert page.status_code == 200
    assert len(app.state.page_cache) == 2  # served from the kept page, not made again


def test_every_warmed_page_of_the_build_is_a_whole_page(site):  # noqa: F811
    app = site["app"]
    warmer = Warmer(app, pages_to_warm(_services(app), "all"))
    made = warmer.first(len(warmer.paths))
    assert made and all(status == 200 for _, status, _ in made), \
        [(p, s) for p, s, _ in made if s != 200]


def test_the_background_waits_while_people_are_being_answered(site):  # noqa: F811
    app = site["app"]
    busy = threading.Event()
    busy.set()
    warmer = Warmer(app, ["/", "/programmes", "/strategy"], busy=busy.is_set, pause=0.01)
    finished = []
    thread = warmer.start(lambda made, seconds: finished.append((len(made), seconds)))
    time.sleep(0.3)
    assert warmer.made == []  # nothing made while someone is being answered
    busy.clear()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert [path for path, _, _ in warmer.made] == ["/", "/programmes", "/strategy"]
    [(count, seconds)] = finished
    assert count == 3 and seconds >= 0.3  # it waited


def test_people_are_counted_and_the_warming_requests_are_not():
    counter = InFlight()
    seen = []

    async def app(scope, receive, send):
        seen.append(counter.count)

    middleware = CountInFlight(app, counter)
    person = {"type": "http", "headers": [(b"host", b"x")]}
    warming = {"type": "http", "headers": [(WARM_HEADER.encode(), b"1")]}
    _run(middleware(person, None, None))
    _run(middleware(warming, None, None))
    _run(middleware({"type": "lifespan"}, None, None))
    assert seen == [1, 0, 0]
    assert counter.count == 0 and not counter.busy()


def test_a_person_counted_while_a_request_fails_is_uncounted_after():
    counter = InFlight()

    async def app(scope, receive, send):
        raise RuntimeError("the page failed")

    failures = []

    async def send_a_request():
        try:
            await CountInFlight(app, counter)({"type": "http", "headers": []}, None, None)
        except RuntimeError as e:
            failures.append(str(e))

    _run(send_a_request())
    assert failures == ["the page failed"]
    assert counter.count == 0


def test_the_first_pages_are_made_even_inside_a_running_event_loop(site):  # noqa: F811
    """A caller that already runs an event loop (a test harness, a notebook) can still make
    the first pages: they are made in a thread of their own."""
    app = site["app"]

    async def inside() -> list:
        return Warmer(app, ["/"]).first(1)

    made = _run(inside())
    assert [(path, status) for path, status, _ in made] == [("/", 200)]
