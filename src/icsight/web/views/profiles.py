"""Area profiles: a place, a PCN or a practice, every indicator beside its parent areas.

In the manner of the National General Practice Profiles (Office for Health Improvement and
Disparities, Fingertips, https://fingertips.phe.org.uk/profile/general-practice): one page per
area with each indicator's latest value, 95% confidence interval, numerator and denominator,
the same indicator for the area's parents (practice -> PCN -> place -> BLMK), where the area
sits on its peers' funnel plot (95% and 99.8% limits) and its Making Data Count SPC signal
where the build charts one. A place lists its PCNs and a PCN its practices, so a reader drills
down from BLMK to their own practice.

Every figure comes from the services with the request's principal (`icsight.services.areas`):
the published (suppressed) table below analyst, where a withheld figure reads "withheld (small
numbers)", and exact figures for analysts. The hierarchy is the build's, named from the
published ODS reference data.
"""

from __future__ import annotations

import re
from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.governance.access import Role
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES
from icsight.services import NotFoundError, Service
from icsight.web.views.cache import kept_page
from icsight.web.views.pages import (
    _count,
    _date,
    _interval,
    _not_found,
    _value_text,
    _variation,
    area_pyramid,
)
from icsight.web.views.population import deprivation_map
from icsight.web.views.render import render, who

__all__ = ["PCN_CODE", "PRACTICE_CODE", "place_slug", "router"]

router = APIRouter(include_in_schema=False)

#: An ODS GP practice code: a letter and five digits (E81021, Y00560).
PRACTICE_CODE = re.compile(r"[A-Z][0-9]{5}")
#: An ODS PCN code (U and five digits), or the pseudo-PCN of a place's practices outside any
#: PCN (`icsight.model.reference.unallocated_pcn`: UNALLOCATED- and the local authority code).
PCN_CODE = re.compile(r"U[0-9]{5}|UNALLOCATED-E[0-9]{8}")
#: A place's address: its name in lower case with hyphens (bedford-borough).
PLACE_SLUG = re.compile(r"[a-z]+(-[a-z]+)*")
LONGEST = 40  # no code or place name is longer; a longer address is not echoed back whole

LEVELS = {"icb": "Integrated care board", "place": "Place", "pcn": "PCN", "practice": "Practice"}
PEERS = {"place": "places", "pcn": "PCNs", "practice": "practices"}


def place_slug(place: str) -> str:
    """A place's address in `/places/...`: Bedford Borough as bedford-borough."""
    return "-".join(place.lower().split())


def _services(request: Request) -> Service:
    return request.app.state.services


def _hierarchy(request: Request) -> list[dict]:
    return _services(request).areas.hierarchy(who(request))


@router.get("/places", response_class=HTMLResponse)
@kept_page
def places(request: Request) -> HTMLResponse:
    """BLMK's four places, each with its number of PCNs and practices, and the search box."""
    rows: dict[str, dict] = {}
    for practice in _hierarchy(request):
        row = rows.setdefault(practice["place"], {"place": practice["place"], "pcns": set(),
                                                  "practices": 0})
        row["pcns"].add(practice["pcn_code"])
        row["practices"] += 1
    table = [{"place": p["place"], "href": f"/places/{place_slug(p['place'])}",
              "pcns": len(p["pcns"]), "practices": p["practices"]}
             for p in sorted(rows.values(), key=lambda r: r["place"])]
    return render(request, "places.jinja", {"title": "Areas of BLMK", "places": table})


@router.get("/places/{name}", response_class=HTMLResponse)
@kept_page
def place_profile(request: Request, name: str) -> HTMLResponse:
    """One place: its population pyramid, the deprivation of its neighbourhoods, every
    indicator beside BLMK, and its PCNs."""
    slug = place_slug(name)
    if len(name) > LONGEST or not PLACE_SLUG.fullmatch(slug):
        return _not_found(request, f"{_shown(name)!r} is not the name of a place: BLMK's "
                          "places are Bedford Borough, Central Bedfordshire, Luton and "
                          "Milton Keynes.")
    hierarchy = _hierarchy(request)
    place = next((p["place"] for p in hierarchy if place_slug(p["place"]) == slug), None)
    if place is None:
        return _not_found(request, f"There is no place called {_shown(name)!r} in BLMK.")
    pcns: dict[str, dict] = {}
    for p in hierarchy:
        if p["place"] == place:
            pcn = pcns.setdefault(p["pcn_code"], {"code": p["pcn_code"], "name": p["pcn_name"],
                                                  "practices": 0})
            pcn["practices"] += 1
    children = [{"name": c["name"], "code": c["code"], "href": f"/pcns/{c['code']}",
                 "count": c["practices"]} for c in sorted(pcns.values(),
                                                          key=lambda c: c["name"])]
    return _profile(request, "place", place, place, [("icb", "BLMK")], children)


@router.get("/pcns/{code}", response_class=HTMLResponse)
@kept_page
def pcn_profile(request: Request, code: str) -> HTMLResponse:
    """One PCN: every indicator beside its place and BLMK, and its practices."""
    wanted = code.strip().upper()
    if len(code) > LONGEST or not PCN_CODE.fullmatch(wanted):
        return _not_found(request, f"{_shown(code)!r} is not a PCN code: a PCN's ODS code is "
                          "U and five digits, such as U74819.")
    practices = [p for p in _hierarchy(request) if p["pcn_code"] == wanted]
    if not practices:
        return _not_found(request, f"There is no PCN {wanted} in BLMK.")
    first = practices[0]
    children = [{"name": p["practice_name"], "code": p["practice_code"],
                 "href": f"/practices/{p['practice_code']}"}
                for p in sorted(practices, key=lambda p: p["practice_name"])]
    return _profile(request, "pcn", wanted, first["pcn_name"],
                    [("place", first["place"]), ("icb", "BLMK")], children,
                    parent_names={"place": first["place"]})


@router.get("/practices/{code}", response_class=HTMLResponse)
@kept_page
def practice_profile(request: Request, code: str) -> HTMLResponse:
    """One practice: every indicator beside its PCN, its place and BLMK."""
    wanted = code.strip().upper()
    if len(code) > LONGEST or not PRACTICE_CODE.fullmatch(wanted):
        return _not_found(request, f"{_shown(code)!r} is not a practice code: a GP practice's "
                          "ODS code is a letter and five digits, such as E81021.")
    practice = next((p for p in _hierarchy(request) if p["practice_code"] == wanted), None)
    if practice is None:
        return _not_found(request, f"There is no practice {wanted} in BLMK.")
    return _profile(request, "practice", wanted, practice["practice_name"],
                    [("pcn", practice["pcn_code"]), ("place", practice["place"]),
                     ("icb", "BLMK")], [],
                    parent_names={"pcn": practice["pcn_name"], "place": practice["place"]})


def _shown(text: str) -> str:
    """What the reader asked for, cut short when it is too long to be a name."""
    return text if len(text) <= LONGEST else text[:LONGEST] + "..."


def _profile(request: Request, level: str, group: str, name: str,
             parents: list[tuple[str, str]], children: list[dict],
             parent_names: dict[str, str] | None = None) -> HTMLResponse:
    """The profile page of one area: `parents` as (breakdown, group), nearest first."""
    services, principal = _services(request), who(request)
    names = {"icb": "BLMK"} | (parent_names or {})
    crumbs = _breadcrumbs(level, group, name, parents, names)
    context = {"title": name, "level": level, "level_name": LEVELS[level], "code": group,
               "breadcrumbs": crumbs, "children": children, "peers": PEERS[level],
               "parents": [{"level": LEVELS[b], "name": names.get(b, g),
                            "href": _href(b, g)} for b, g in parents],
               # reference data (IMD 2019 by LSOA), the same for everyone and every build
               "deprivation": deprivation_map(group) if level == "place" else None}
    try:
        build = services.aggregates.build(principal)
        values = services.areas.latest_values(principal)
        positions = services.areas.funnel_positions(principal, level)
        # the build charts SPC for BLMK and the places only (`AggregateService.variation`)
        signals = services.aggregates.variation(principal) if level == "place" else []
    except NotFoundError as e:
        return render(request, "profile.jinja", context | {"missing": str(e)}, 200)
    by_key = {(r["indicator_id"], r["breakdown"], r["group"]): r for r in values}
    signal_of = {(r["indicator_id"], r["breakdown"], r["group"]): r for r in signals}
    built = {r["indicator_id"] for r in values}
    programmes: dict[str, list[dict]] = defaultdict(list)
    for ind in catalogue().values():
        if ind.id not in built:
            continue
        row = by_key.get((ind.id, level, group))
        programmes[ind.programme].append({
            "id": ind.id, "title": ind.title,
            "period": _date(row["period_end"]) if row else "",
            "value": _value_text(row, ind.unit),
            "interval": _interval(row) if row else "none",
            "numerator": _count(row["numerator"]) if row else "none",
            "denominator": _count(row["denominator"]) if row else "none",
            "parents": [_value_text(by_key.get((ind.id, b, g)), ind.unit)
                        for b, g in parents],
            "funnel": positions.get((ind.id, group), "Not in this build"),
            "variation": _variation(signal_of.get((ind.id, level, group)))})
    sections = [{"id": key, "name": PROGRAMMES[key], "rows": programmes[key]}
                for key in PROGRAMMES if programmes.get(key)]
    pyramid = area_pyramid(request, group, build) if level == "place" else None
    return render(request, "profile.jinja", context | {
        "period": _date(build["last_period_end"]), "programmes": sections,
        "pyramid": pyramid, "pyramid_public": principal.role != Role.ANALYST,
        "parent_heads": [names.get(b, g) if b == "icb" else f"{LEVELS[b]}: {names.get(b, g)}"
                         for b, g in parents]})


def _href(breakdown: str, group: str) -> str:
    return {"icb": "/places", "place": f"/places/{place_slug(group)}",
            "pcn": f"/pcns/{group}", "practice": f"/practices/{group}"}[breakdown]


def _breadcrumbs(level: str, group: str, name: str, parents: list[tuple[str, str]],
                 names: dict[str, str]) -> dict:
    """BLMK > place > PCN, then the page itself (the design system's breadcrumb)."""
    items = [{"href": _href(b, g), "text": names.get(b, g)} for b, g in reversed(parents)]
    return {"items": items, "text": name}
