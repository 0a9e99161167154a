"""Areas: the practice -> PCN -> place hierarchy of the latest build, every indicator's latest
values at each level, and where each area sits on its peers' funnel plot.

The hierarchy is the one the build stored with its run (`hierarchy.parquet`, the parentage its
small-number suppression used), named from the published ODS reference tables
(`icsight.model.reference`: NHS Digital's practice-to-PCN mapping); it is public reference
data, so every role may read it. Values come from `AggregateService.latest_values` with the
principal's access: the published (suppressed) table below analyst, exact for analysts.

Funnel positions follow Public Health England's funnel plot method as
`PHEindicatormethods` implements it (`icsight.stats.funnels`: Wilson limits for proportions,
exact Poisson for rates and observed/expected ratios, at 95% and 99.8%), as the National
General Practice Profiles (Fingertips) compare practices. They are worked out from exactly the
figures the principal may see: below analyst, only published (unsuppressed, rounded) counts
take part, so a position can never tell anything about a withheld number.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pandas as pd

from icsight.governance.access import Principal, Role, authorise
from icsight.services.aggregates import AggregateService

__all__ = ["AREA_BREAKDOWNS", "FUNNEL_POSITIONS", "AreaService", "funnel_positions"]

#: The levels a profile shows, parents first.
AREA_BREAKDOWNS = ("icb", "place", "pcn", "practice")

#: `icsight.stats.funnels`' significance labels in words (outside the 99.8% limits is also
#: outside the 95% ones, so each says the widest limit the area is beyond).
FUNNEL_POSITIONS = {
    "Not significant": "Within the 95% limits",
    "High (0.025)": "Above the 95% limit (within 99.8%)",
    "High (0.001)": "Above the 99.8% limit",
    "Low (0.025)": "Below the 95% limit (within 99.8%)",
    "Low (0.001)": "Below the 99.8% limit",
}
#: Why an area has no position.
NO_FUNNEL = {
    "method": "No funnel for this method",
    "withheld": "Not placed: figure withheld",
    "few_areas": "Too few areas to compare",
    "few_events": "Not placed: fewer than 10 events",
    "none": "Not placed: no value",
}


class AreaService:
    """The areas of BLMK and their figures, served to principals."""

    def __init__(self, aggregates: AggregateService, audit_log: str | Path) -> None:
        self.aggregates = aggregates
        self.audit_log = Path(audit_log)

    def hierarchy(self, who: Principal) -> list[dict]:
        """Every practice of the latest build with its name, its PCN's code and name, and its
        place; before any build, the reference mapping itself."""
        authorise(who, "catalogue.read", self.audit_log)
        from icsight.model import reference

        names = reference.practices().to_pandas().set_index("practice_code").practice_name
        pcn_names = reference.pcns().to_pandas().set_index("pcn_code").pcn_name
        stored = self._stored_hierarchy()
        table = stored if stored is not None else reference.practices().to_pandas()
        rows = []
        for row in table.itertuples(index=False):
            rows.append({"practice_code": row.practice_code,
                         "practice_name": _title(names.get(row.practice_code,
                                                           row.practice_code)),
                         "pcn_code": row.pcn_code,
                         "pcn_name": _title(pcn_names.get(row.pcn_code, row.pcn_code)),
                         "place": row.place})
        return sorted(rows, key=lambda r: (r["place"], r["pcn_name"], r["practice_name"]))

    def latest_values(self, who: Principal) -> list[dict]:
        """Every indicator's latest values for BLMK, each place, PCN and practice, as the
        principal may see them (`AggregateService.latest_values`)."""
        return self.aggregates.latest_values(who, AREA_BREAKDOWNS)

    def funnel_positions(self, who: Principal, breakdown: str) -> dict[tuple[str, str], str]:
        """{(indicator id, group): position in words} for every area at `breakdown` (place,
        PCN or practice) against its peers at the same level, from the figures the principal
        may see. Kept per run, role level and breakdown (a run is never rewritten): working
        out every practice's position for every indicator takes 100-200 ms, too long to
        repeat for each page."""
        from icsight.results import latest_run

        full = who.role == Role.ANALYST
        # the same access, and audit, as the figures the positions come from
        authorise(who, "aggregates.unsuppressed" if full else "aggregates.suppressed",
                  self.audit_log, "funnel positions")
        try:
            key = (latest_run(self.aggregates.results_dir).resolve(), full, breakdown)
        except FileNotFoundError:
            return {}
        with _CACHE_LOCK:
            if key not in _CACHE:
                while len(_CACHE) >= _CACHE_SIZE:
                    _CACHE.pop(next(iter(_CACHE)))
                _CACHE[key] = _positions(pd.DataFrame(self.latest_values(who)), breakdown)
            return _CACHE[key]

    def _stored_hierarchy(self) -> pd.DataFrame | None:
        from icsight.results import latest_run

        try:
            path = latest_run(self.aggregates.results_dir) / "hierarchy.parquet"
        except FileNotFoundError:
            return None
        return pd.read_parquet(path) if path.is_file() else None


_CACHE: dict[tuple[Path, bool, str], dict[tuple[str, str], str]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 24  # a few runs, each at two role levels and three breakdowns


def _positions(rows: pd.DataFrame, breakdown: str) -> dict[tuple[str, str], str]:
    """Every indicator's funnel positions at `breakdown`, from `rows` (latest values)."""
    from icsight.indicators.catalogue import catalogue

    if rows.empty:
        return {}
    indicators = catalogue()
    out: dict[tuple[str, str], str] = {}
    for indicator_id, peers in rows[rows.breakdown == breakdown].groupby("indicator_id"):
        ind = indicators.get(str(indicator_id))
        method = ind.method if ind else ""
        multiplier = ind.multiplier if ind else 100.0
        out |= {(str(indicator_id), group): text for group, text in
                funnel_positions(peers, method, multiplier).items()}
    return out


def funnel_positions(peers: pd.DataFrame, method: str,
                     multiplier: float = 100.0) -> dict[str, str]:
    """{group: position in words} for one indicator's areas at one level (`peers`: its rows,
    with numerator, denominator, value and, where published, `suppressed`).

    Only areas with a figure take part in the funnel's average: a withheld row (NaN counts)
    is "not placed", never guessed at. Proportions use Wilson limits; crude rates and DSRs the
    exact Poisson limits on their events (DSRs from fewer than 10 events are not placed, as
    PHEindicatormethods' `assign_funnel_significance` does); ratios the Poisson limits on the
    observed count against the expected."""
    from icsight.stats import funnels

    out: dict[str, str] = {}
    usable = peers.copy()
    for column in ("numerator", "denominator", "value"):
        usable[column] = pd.to_numeric(usable[column], errors="coerce")
    withheld = usable.get("suppressed", pd.Series(False, index=usable.index)).fillna(False)
    ok = (~withheld.astype(bool) & usable.numerator.notna() & usable.denominator.gt(0)
          & usable.value.notna())
    for group, hidden in zip(usable.group, withheld.astype(bool), strict=True):
        out[str(group)] = NO_FUNNEL["withheld"] if hidden else NO_FUNNEL["none"]
    kept = usable[ok]
    if method not in ("proportion", "rate", "dsr", "ratio"):
        return dict.fromkeys(out, NO_FUNNEL["method"])
    if len(kept) < 2:
        return out | dict.fromkeys(map(str, kept.group), NO_FUNNEL["few_areas"])
    numerator = kept.numerator.to_numpy(float)
    denominator = kept.denominator.to_numpy(float)
    if method == "proportion":
        labels = funnels.funnel_significance(numerator, denominator)
    elif method == "ratio":
        labels = funnels.funnel_significance_ratio(numerator, denominator)
    else:
        labels = funnels.funnel_significance_rate(
            numerator, kept.value.to_numpy(float), "crude" if method == "rate" else "dsr",
            multiplier, denominator=denominator if method == "rate" else None)
    for group, label in zip(kept.group, labels, strict=True):
        out[str(group)] = FUNNEL_POSITIONS.get(label, NO_FUNNEL["few_events"])
    return out


def _title(name: object) -> str:
    """An ODS name (published in capitals) as it reads on a page: QUEENS PARK HEALTH CENTRE
    as Queens Park Health Centre; acronyms (PCN, NHS, MK) and words with digits stay."""
    text = str(name)
    if not text.isupper():
        return text
    words = []
    for i, word in enumerate(text.split(" ")):
        if word in ACRONYMS or any(c.isdigit() for c in word):
            words.append(word)
        elif i and word in {"AND", "OF", "THE", "ON", "IN", "IS", "FOR"}:
            words.append(word.lower())
        else:  # each run of letters: (BEDFORD) as (Bedford), ST-JOHNS as St-Johns
            words.append(re.sub(r"[A-Z]+", lambda m: m.group(0).capitalize(), word))
    return " ".join(words)


#: Words kept in capitals when a name is retyped (`_title`).
ACRONYMS = {"PCN", "NHS", "MK", "GP", "UK", "HC", "MC", "BLMK"}
