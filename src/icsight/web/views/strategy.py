"""The strategy page: the BLMK Health Services Strategy's statements and programmes, each with
the indicators that evidence it and their latest BLMK value and SPC variation.

Bedfordshire, Luton and Milton Keynes Integrated Care Board, *Health Services Strategy*
(adopted September 2024, to 2040): fifteen "We will" statements (the direction of travel),
eight "We commit" statements (what partners expect of one another) and six priority work
programmes, which report to the Health and Care Professional Leadership Group. Which indicator
evidences which statement is configuration, in `icsight/data/strategy/strategy.toml` (its
reasons in that folder's SOURCES.md), not code.
"""

from __future__ import annotations

import tomllib
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES
from icsight.model.reference import data_path
from icsight.web.views.cache import kept_page
from icsight.web.views.pages import _date, _indicators, _latest_figures, _summary_row
from icsight.web.views.render import render

__all__ = ["load_strategy", "router"]

router = APIRouter(include_in_schema=False)


@cache
def load_strategy() -> dict:
    """The strategy's statements and programmes as `strategy.toml` gives them (read once)."""
    with data_path("strategy", "strategy.toml").open("rb") as f:
        return tomllib.load(f)


@router.get("/strategy", response_class=HTMLResponse)
@kept_page
def strategy_page(request: Request) -> HTMLResponse:
    """Each statement and programme of the strategy with its evidence from the latest build."""
    figures = _latest_figures(request)
    if isinstance(figures, HTMLResponse):
        return figures
    build, values, variation = figures
    indicators = catalogue()

    def evidence(ids: list[str]) -> list[dict]:
        return [_summary_row(indicators[i], values, variation) for i in ids if i in indicators]

    strategy = load_strategy()
    groups = [{"id": g["id"], "name": g["name"], "about": g.get("about", ""),
               "statements": [{"number": s["number"], "text": s["text"],
                               "note": s.get("note", ""),
                               "rows": evidence(s.get("indicators", []))}
                              for s in g["statement"]]}
              for g in strategy["group"]]
    programmes = [{"id": p["id"], "number": p["number"], "name": p["name"],
                   "led_by": p["led_by"], "short_name": PROGRAMMES[p["id"]],
                   "rows": evidence([ind.id for ind in _indicators(p["id"])])}
                  for p in strategy["programme"]]
    return render(request, "strategy.jinja", {
        "title": strategy["title"], "source": strategy["source"],
        "period": _date(build["last_period_end"]), "groups": groups, "programmes": programmes})

