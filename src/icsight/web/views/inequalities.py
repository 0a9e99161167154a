"""A programme's inequalities: each indicator's latest value by deprivation (IMD quintile and
decile), CORE20 against the rest, and ethnic group, with the gap between the least and most
deprived fifths and the slope and relative indices of inequality (SII, RII).

The breakdowns follow NHS England's Core20PLUS5 (the most deprived 20% of the national
population by IMD, "CORE20", against everyone else) and OHID's Fingertips inequality views
(quintiles, deciles and the SII from PHEindicatormethods `phe_sii`). Figures come from the
services with the principal's access: published (suppressed) values for everyone below
analyst, and gaps worked from them (`AggregateService.inequality_gaps`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from icsight.indicators.definition import PROGRAMMES, Indicator
from icsight.services import NotFoundError
from icsight.web.views.cache import kept_page
from icsight.web.views.pages import (
    _count,
    _date,
    _gap_text,
    _indicators,
    _interval,
    _not_found,
    _number,
    _services,
    _value_text,
)
from icsight.web.views.render import render, who

__all__ = ["BREAKDOWNS", "router"]

router = APIRouter(include_in_schema=False)

#: The breakdowns shown, in order, with each group's label (IMD 1 is the most deprived).
BREAKDOWNS = {
    "imd_quintile": ("Deprivation (IMD quintile)",
                     {"1": "1 (most deprived)", "5": "5 (least deprived)"}),
    "core20": ("Core20PLUS5: the most deprived fifth nationally against the rest",
               {"CORE20": "CORE20 (most deprived 20%)", "Rest": "Rest of the population"}),
    "ethnicity_group": ("Ethnic group", {}),
    "imd_decile": ("Deprivation (IMD decile)",
                   {"1": "1 (most deprived)", "10": "10 (least deprived)"}),
}


@router.get("/programmes/{programme_id}/inequalities", response_class=HTMLResponse)
@kept_page
def programme_inequalities(request: Request, programme_id: str) -> HTMLResponse:
    """Each of the programme's indicators by deprivation, CORE20 and ethnic group."""
    name = PROGRAMMES.get(programme_id)
    if name is None:
        return _not_found(request, f"There is no programme called {programme_id!r}.")
    services, principal = _services(request), who(request)
    try:
        rows = services.aggregates.latest_values(principal, tuple(BREAKDOWNS))
        gaps = {g["indicator_id"]: g for g in services.aggregates.inequality_gaps(principal)}
    except NotFoundError as e:
        return render(request, "unavailable.jinja", {"title": "No figures yet",
                                                     "reason": str(e)}, 503)
    indicators = [_indicator_view(ind, [r for r in rows if r["indicator_id"] == ind.id],
                                  gaps.get(ind.id))
                  for ind in _indicators(programme_id)]
    return render(request, "inequalities.jinja", {
        "title": f"{name}: inequalities", "programme_id": programme_id,
        "programme_name": name, "indicators": indicators})


def _indicator_view(ind: Indicator, rows: list[dict], gap: dict | None) -> dict:
    """One indicator's tables, one per breakdown, and its gap, SII and RII in words."""
    tables = []
    for breakdown, (caption, labels) in BREAKDOWNS.items():
        own = sorted((r for r in rows if r["breakdown"] == breakdown), key=_group_order)
        if own:
            tables.append({
                "breakdown": breakdown, "caption": f"{ind.title}: {caption.lower()}",
                "heading": caption,
                "rows": [{"group": labels.get(r["group"], r["group"]),
                          "value": _value_text(r, ind.unit), "interval": _interval(r),
                          "numerator": _count(r["numerator"]),
                          "denominator": _count(r["denominator"])} for r in own]})
    period = _date(rows[0]["period_end"]) if rows else ""
    return {"id": ind.id, "title": ind.title, "period": period, "tables": tables,
            "gap": _gap_text(gap, ind.unit), "sii": _index_text(gap, "sii", ind.unit),
            "rii": _index_text(gap, "rii", "")}


def _group_order(row: dict) -> tuple:
    """Deprivation groups in number order (1 to 10, not 1, 10, 2), others by name."""
    group = str(row["group"])
    return (0, int(group), "") if group.isdigit() else (1, 0, group)


def _index_text(gap: dict | None, key: str, unit: str) -> str:
    """The SII or RII with its 95% interval, or why there is none."""
    value = _number(gap.get(key)) if gap else None
    if value is None:
        return "not worked out (it needs a published value in all ten deciles)"
    low = _number(gap.get(f"{key}_lower95_0cl"))
    high = _number(gap.get(f"{key}_upper95_0cl"))
    if unit.startswith("%"):
        unit = " percentage points"
    elif unit:
        unit = f" {unit}"
    text = f"{value:,.2f}{unit}" if key == "rii" else f"{value:,.1f}{unit}"
    if low is not None and high is not None:
        text += f" (95% interval {low:,.2f} to {high:,.2f})" if key == "rii" \
            else f" (95% interval {low:,.1f} to {high:,.1f})"
    return text
