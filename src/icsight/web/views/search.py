"""Search: any practice (by ODS code or name), PCN, place or indicator (by id or title).

A plain GET form (`/search?q=...`), so it works without JavaScript, as the NHS service manual
asks of every page (https://service-manual.nhs.uk/accessibility). The query is matched in
memory against the build's hierarchy and the catalogue, never passed to a database: each word
of it must appear, ignoring case and accents' compatibility forms (Unicode NFKC, case-folded),
in the thing's name or code. Results are grouped by kind, each linked to its page. A query that
is empty, too long or holds control characters gets the search page with the design system's
error summary saying what to do (400 when it cannot be searched for).
"""

from __future__ import annotations

import unicodedata

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES
from icsight.web.views.profiles import place_slug
from icsight.web.views.render import render, who

__all__ = ["LONGEST_QUERY", "MOST_SHOWN", "matches", "router"]

router = APIRouter(include_in_schema=False)

#: The longest query searched for: longer than any name it could find.
LONGEST_QUERY = 100
#: The most results of one kind listed (the count says how many there were).
MOST_SHOWN = 50


def _folded(text: str) -> str:
    """`text` as it is compared: compatibility forms joined (NFKC), case folded, one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def matches(query: str, *fields: str) -> bool:
    """Whether every word of `query` occurs in one of `fields` (ignoring case)."""
    words = _folded(query).split()
    haystack = " ".join(_folded(f) for f in fields)
    return bool(words) and all(word in haystack for word in words)


def _problem(query: str | None) -> str | None:
    """What is wrong with the query, in words; None when it can be searched for."""
    if query is None:
        return None
    if not query.strip():
        return "Enter the name or code of a practice, PCN, place or indicator"
    if len(query) > LONGEST_QUERY:
        return f"Search for {LONGEST_QUERY} characters or fewer"
    if any(unicodedata.category(c).startswith("C") for c in query):
        return "Search for letters, numbers, spaces and punctuation only"
    return None


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str | None = None) -> HTMLResponse:
    """The search form, and the practices, PCNs, places and indicators that match `q`."""
    problem = _problem(q)
    shown = q if q is not None and len(q) <= LONGEST_QUERY else None
    context = {"title": "Search", "query": shown, "problem": problem, "groups": []}
    if q is None or problem:
        status = 400 if problem and q and q.strip() else 200
        return render(request, "search.jinja", context, status)
    hierarchy = request.app.state.services.areas.hierarchy(who(request))
    places = sorted({p["place"] for p in hierarchy})
    pcns = sorted({(p["pcn_code"], p["pcn_name"], p["place"]) for p in hierarchy},
                  key=lambda p: p[1])
    found = {
        "Places": [{"text": place, "href": f"/places/{place_slug(place)}", "hint": "Place"}
                   for place in places if matches(q, place)],
        "Primary care networks": [
            {"text": name, "href": f"/pcns/{code}", "hint": f"{code}, {place}"}
            for code, name, place in pcns if matches(q, code, name)],
        "GP practices": [
            {"text": p["practice_name"], "href": f"/practices/{p['practice_code']}",
             "hint": f"{p['practice_code']}, {p['pcn_name']}, {p['place']}"}
            for p in hierarchy if matches(q, p["practice_code"], p["practice_name"])],
        "Indicators": [
            {"text": ind.title, "href": f"/indicators/{ind.id}",
             "hint": f"{ind.id}, {PROGRAMMES[ind.programme]}"}
            for ind in catalogue().values() if matches(q, ind.id, ind.title)],
    }
    groups = [{"name": name, "count": len(rows), "rows": rows[:MOST_SHOWN]}
              for name, rows in found.items() if rows]
    return render(request, "search.jinja", context | {
        "groups": groups, "total": sum(g["count"] for g in groups)})
