"""Statistical disclosure control for aggregates shared beyond analysts.

The rules (after the ONS "Statistical disclosure control" guidance and NHS Digital's HES
analysis guide): counts from 1 to 7 are suppressed (primary suppression); other counts are
rounded to the nearest 5; zero is not suppressed (a zero identifies no one). The thresholds are
configurable (`DisclosureRules`). Two things make that hold against differencing:

1. **Everything published comes from the published counts.** A percentage, crude rate or ratio
   and its interval are recomputed from the rounded numerator and denominator (Wilson for
   proportions, exact/Byar's for rates and ratios, as `icsight.stats` computes them), so
   value x denominator gives back only the rounded count. A directly standardised rate is
   published only when its published count is at least 10 (PHE's rule), rounded to 1 decimal
   place, with Dobson limits computed from the published count: see `_standardised`.
2. **Secondary suppression within each parent, to a fixed point.** The published table of one
   indicator and period is a set of linear relations: the ICB is the sum of its places, a place
   of its PCNs, a PCN of its practices, the ICB of each other breakdown's groups; an IMD quintile
   is the sum of its two deciles, CORE20 is quintile 1 and Rest quintiles 2-5. Groups that are
   not published (no practice, no LSOA, unknown ethnicity...) make an implicit residual cell,
   parent minus the sum of its children, which is protected like any other cell. For every
   sensitive unknown (a suppressed count or residual from 1 to 7) the other unknowns of each of
   its relations must be able to move far enough for every value from 1 to 7 to stay feasible;
   where they cannot, the smallest visible cell of the same parent that can is suppressed too,
   and the check repeats until nothing changes (hiding a PCN may force hiding one of its
   practices, or another PCN of its place). Numerators and denominators are checked alike.
3. **Jointly across indicators that share a denominator.** In one period, indicators whose
   denominator is identical in every (breakdown, group) form a family (HF_SGLT2I and HF_MRA;
   the crude rates over the registered population). Suppressed one by one they pick different
   complements, and a denominator one member hides another publishes: pooled, the family
   gives back what each protected alone. So a cell hidden in any member is hidden in all, and
   each member's fixed point is run again with those cells forced hidden, until nothing
   changes across the family (the ONS guidance's "linked tables": cells shared between tables
   must be protected consistently in all of them).

`tests/test_disclosure_differencing.py` attacks the result over all the published rounded
counts, pooling what every member of a family publishes, and recovers no suppressed 1-7.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from icsight.stats.poisson import byars, poisson_limits
from icsight.stats.proportions import wilson

__all__ = ["COUNT_COLUMNS", "DisclosureRules", "Relation", "protect_each", "relations",
           "suppress", "suppress_cells"]

COUNT_COLUMNS = ("numerator", "denominator")
VALUE_COLUMNS = ("value", "lower_ci", "upper_ci")
PARTITION = ("indicator_id", "period_end")
#: breakdowns that nest in the practice -> PCN -> place -> ICB hierarchy
GEOGRAPHY = ("place", "pcn", "practice")
DSR_MIN_COUNT = 10  # PHE: no DSR from fewer than 10 events
_DEPTH = 4  # how far a complement's own relations are followed when measuring its slack


@dataclass(frozen=True)
class DisclosureRules:
    """Suppress counts from `low` to `high` (inclusive), round others to `rounding`."""

    low: int = 1
    high: int = 7
    rounding: int = 5
    secondary: bool = True
    #: suppress indicators that share a denominator together (off only to show the attack)
    joint: bool = True


@dataclass(frozen=True)
class Relation:
    """`parent` (a row label) is the sum of `children` (row labels) plus an unpublished
    residual (people in the parent but in no published child)."""

    parent: int
    children: tuple[int, ...]


def suppress(table: pd.DataFrame, rules: DisclosureRules | None = None,
             hierarchy: pd.DataFrame | None = None,
             methods: Mapping[str, tuple[str, float]] | None = None,
             protected: np.ndarray | None = None) -> pd.DataFrame:
    """The tidy indicator table made safe to publish.

    `hierarchy` has one row per practice (practice_code, pcn_code, place); without it
    practice and PCN rows cannot be protected within their parents and are all suppressed.
    `methods` maps indicator id to (method, multiplier) so values can be recomputed from the
    published counts; an indicator missing from it has its values withheld. Suppressed cells
    are NaN (counts are floats so they can hold NaN); `suppressed` says which rows.

    Pass the whole run (every indicator and period) in one call: indicators that share a
    denominator are protected against each other only when suppressed together.

    `protected`: what `protect_each` gave for the same rows in the same order (for a run, each
    indicator's part concatenated), so the indicator-by-indicator work can be done while the
    run is still being computed; only the joint step across indicators is left. The result is
    the same as without it: each indicator and period is protected on its own first either
    way."""
    rules = rules or DisclosureRules()
    out = table.reset_index(drop=True).copy()
    if protected is None:
        hidden = protect_each(out, rules, hierarchy)
    elif len(protected) != len(out):
        raise ValueError(f"protected has {len(protected)} rows for a table of {len(out)}")
    else:
        hidden = np.asarray(protected, bool).copy()
    if rules.secondary and rules.joint and {"breakdown", "group"} <= set(out) \
            and all(k in out for k in PARTITION):
        _jointly(_Columns(out), out.groupby(list(PARTITION), sort=False).indices, hidden, rules,
                 hierarchy)
    hide = pd.Series(hidden, index=out.index)
    published = {c: _round(out[c].astype(float), rules.rounding).where(~hide)
                 for c in COUNT_COLUMNS}
    values = _published_values(out, published, hide, methods or {})
    for col in VALUE_COLUMNS:
        if col in out:
            out[col] = values[col]
    for col in COUNT_COLUMNS:
        out[col] = published[col]
    out["suppressed"] = hide
    return out


def suppress_cells(counts: list[float], rels: list[Relation],
                   rules: DisclosureRules | None = None,
                   fixed: frozenset[int] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """A table of counts that is not an indicator's (a population pyramid's cells) made safe
    to publish by the same rules as `suppress`: counts from `rules.low` to `rules.high`
    withheld, then secondary suppression within `rels` (parent = sum of children + residual,
    by position in `counts`) to a fixed point, and what is shown rounded. Returns (published
    counts, NaN where withheld; whether each is withheld).

    Totals published elsewhere (an area's population) belong in `counts` as the parents of
    their cells, so the cells are protected against them too, and in `fixed`: positions never
    withheld, by either suppression, as they are public already (where the cells under such
    a total cannot all be protected, no choice of cells here could do better). The caller
    publishes only the cells."""
    rules = rules or DisclosureRules()
    values = {i: float(v) for i, v in enumerate(counts)}
    hidden = {i for i, v in values.items() if rules.low <= v <= rules.high and i not in fixed}
    if rules.secondary and rels:
        _Lattice(values, list(rels), hidden, rules, fixed).protect()
    hide = np.zeros(len(values), bool)
    hide[sorted(hidden)] = True
    shown = _round(pd.Series([values[i] for i in range(len(values))], dtype=float),
                   rules.rounding).to_numpy()
    return np.where(hide, np.nan, shown), hide


def _round(counts: pd.Series, base: int) -> pd.Series:
    return np.round(counts / base) * base


def _primary(table: pd.DataFrame, rules: DisclosureRules) -> pd.Series:
    # the whole row goes: numerator and denominator each recover the other through the value
    small = [table[c].astype(float).between(rules.low, rules.high) for c in COUNT_COLUMNS]
    return small[0] | small[1]


def _unplaceable(table: pd.DataFrame, hierarchy: pd.DataFrame | None) -> pd.Series:
    """Practice and PCN rows that no known parent holds cannot be protected: withheld."""
    if "breakdown" not in table:
        return pd.Series(False, index=table.index)
    pcn, practice = table.breakdown == "pcn", table.breakdown == "practice"
    if hierarchy is None:
        return pcn | practice
    return (pcn & ~table.group.isin(set(hierarchy.pcn_code))) | (
        practice & ~table.group.isin(set(hierarchy.practice_code)))


# --- the relations of one indicator and period -------------------------------------------

def relations(part: pd.DataFrame, hierarchy: pd.DataFrame | None) -> list[Relation]:
    """Every parent = sum(children) + residual relation among the rows of one indicator and
    period (row labels of `part`)."""
    where = {(b, str(g)): i for i, b, g in zip(part.index, part.breakdown, part.group,
                                               strict=True)}
    out: list[Relation] = []

    def add(parent: int | None, children: list[int | None]) -> None:
        kids = tuple(c for c in children if c is not None)
        if parent is not None and kids:
            out.append(Relation(parent, kids))

    icb = next((i for (b, _), i in where.items() if b == "icb"), None)
    by_breakdown: dict[str, list[int]] = {}
    for (b, _), i in where.items():
        by_breakdown.setdefault(b, []).append(i)
    for b, rows in by_breakdown.items():
        if b != "icb" and b not in ("pcn", "practice"):
            add(icb, rows)  # places and every other breakdown add up to the ICB
    if hierarchy is not None:
        pcn_place = hierarchy.drop_duplicates("pcn_code").set_index("pcn_code").place
        for place, pcns in pcn_place.groupby(pcn_place, sort=False):
            add(where.get(("place", str(place))), [where.get(("pcn", p)) for p in pcns.index])
        for pcn, practices in hierarchy.groupby("pcn_code", sort=False).practice_code:
            add(where.get(("pcn", str(pcn))), [where.get(("practice", p)) for p in practices])
    for q in range(1, 6):
        add(where.get(("imd_quintile", str(q))),
            [where.get(("imd_decile", str(d))) for d in (2 * q - 1, 2 * q)])
    add(where.get(("core20", "CORE20")), [where.get(("imd_quintile", "1"))])
    add(where.get(("core20", "Rest")), [where.get(("imd_quintile", str(q))) for q in range(2, 6)])
    return out


# --- secondary suppression ----------------------------------------------------------------

def protect_each(table: pd.DataFrame, rules: DisclosureRules | None = None,
                 hierarchy: pd.DataFrame | None = None) -> np.ndarray:
    """Which rows of `table` (by position) to withhold, each indicator and period protected on
    its own: primary suppression, rows no known parent holds, and secondary suppression
    within each parent to a fixed point. `suppress` adds the joint step across indicators
    that share a denominator; a build runs this part per indicator as each is computed
    (`suppress(..., protected=...)`)."""
    rules = rules or DisclosureRules()
    # row labels become positions, so every lookup below reads plain arrays rather than
    # going through pandas' indexers per partition
    table = table.reset_index(drop=True)
    hidden = (_primary(table, rules) | _unplaceable(table, hierarchy)).to_numpy(bool).copy()
    if rules.secondary and {"breakdown", "group"} <= set(table):
        cols = _Columns(table)
        keys = [k for k in PARTITION if k in table]
        groups = table.groupby(keys, sort=False).indices if keys else {
            None: np.arange(len(table))}
        rels: dict = {}
        for key, index in groups.items():
            _protect(cols, index, hidden, rules,
                     _relations_of(rels, key, cols, index, hierarchy))
    return hidden


def _jointly(cols: _Columns, groups: Mapping, hidden: np.ndarray, rules: DisclosureRules,
             hierarchy: pd.DataFrame | None) -> None:
    """The joint step: indicators of one period that share a denominator, protected together
    (`hidden` changed in place)."""
    rels: dict = {}
    for family in _families(cols, groups):
        _protect_family(cols, {k: groups[k] for k in family}, hidden, rules,
                        {k: _relations_of(rels, k, cols, groups[k], hierarchy)
                         for k in family})


class _Columns:
    """The columns secondary suppression reads, as plain Python lists by row position."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.breakdown = table.breakdown.astype(str).tolist()
        self.group = table.group.astype(str).tolist()
        self.counts = {c: table[c].astype(float).tolist() for c in COUNT_COLUMNS}


def _relations_of(cache: dict, key: object, cols: _Columns, index: np.ndarray,
                  hierarchy: pd.DataFrame | None) -> list[Relation]:
    """`relations` of one partition; partitions with the same rows (most indicators and
    months of a build) share one computation, by position, mapped to their own labels."""
    if key not in cache:
        labels = index.tolist()
        shape = tuple((cols.breakdown[i], cols.group[i]) for i in labels)
        if shape not in cache:
            part = pd.DataFrame({"breakdown": [b for b, _ in shape],
                                 "group": [g for _, g in shape]})
            cache[shape] = relations(part, hierarchy)
        cache[key] = [Relation(labels[r.parent], tuple(labels[c] for c in r.children))
                      for r in cache[shape]]
    return cache[key]


def _protect(cols: _Columns, index: np.ndarray, hide: np.ndarray, rules: DisclosureRules,
             rels: list[Relation]) -> None:
    """Run one indicator and period's fixed point from its current hidden cells."""
    if not rels:
        return
    labels = index.tolist()
    hidden = set(index[hide[index]].tolist())
    for column in COUNT_COLUMNS:
        counts = cols.counts[column]
        _Lattice({i: counts[i] for i in labels}, rels, hidden, rules).protect()
    hide[list(hidden)] = True


def _families(cols: _Columns, groups: Mapping) -> list[list[tuple]]:
    """(indicator, period) partitions of one period whose denominator is the same in every
    (breakdown, group): the attacker who reads the definitions knows they are one number."""
    by_print: dict[tuple, list[tuple]] = {}
    denominator = cols.counts["denominator"]
    for key, index in groups.items():
        cells = sorted((cols.breakdown[i], cols.group[i], denominator[i])
                       for i in index.tolist())
        by_print.setdefault((key[1], tuple(cells)), []).append(key)
    return [keys for keys in by_print.values() if len(keys) > 1]


def _protect_family(cols: _Columns, members: dict[tuple, np.ndarray], hide: np.ndarray,
                    rules: DisclosureRules, rels: dict[tuple, list[Relation]]) -> None:
    """Hide in every member each cell hidden in any, and run each member's fixed point again
    with those forced, until the family's hidden cells stop changing."""
    cells = {k: [(cols.breakdown[i], cols.group[i]) for i in ix.tolist()]
             for k, ix in members.items()}
    changed = True
    while changed:
        changed = False
        hidden = {c for k, ix in members.items()
                  for c, h in zip(cells[k], hide[ix].tolist(), strict=True) if h}
        for k, index in members.items():
            forced = [i for c, i, h in zip(cells[k], index.tolist(), hide[index].tolist(),
                                           strict=True)
                      if c in hidden and not h]
            if forced:
                hide[forced] = True
                _protect(cols, index, hide, rules, rels[k])
                changed = True


class _Lattice:
    """One count column of one indicator and period: values, relations and the hidden set
    (changed in place by `protect`). Residuals are nodes -1, -2, ... (one per relation)."""

    def __init__(self, value: dict[int, float], rels: list[Relation], hidden: set[int],
                 rules: DisclosureRules, fixed: frozenset[int] = frozenset()) -> None:
        self.value, self.rels, self.hidden, self.rules = dict(value), rels, hidden, rules
        self.fixed = fixed  # cells published elsewhere: never picked as a complement
        self.residual: dict[int, int | None] = {}
        self._memo: dict[tuple[int, int, int, bool], float] = {}
        self.member: dict[int, list[tuple[int, str]]] = {}
        for k, r in enumerate(rels):
            rest = self.value[r.parent] - sum(self.value[c] for c in r.children)
            # a zero residual is treated as known (the strongest attacker knows it)
            self.residual[k] = -(k + 1) if rest > 1e-6 else None
            if self.residual[k] is not None:
                self.value[-(k + 1)] = rest
            self.member.setdefault(r.parent, []).append((k, "parent"))
            for c in r.children:
                self.member.setdefault(c, []).append((k, "child"))

    def _unknown_children(self, k: int) -> list[int]:
        kids = [c for c in self.rels[k].children if c in self.hidden]
        return kids + ([self.residual[k]] if self.residual[k] is not None else [])

    def _parent_hidden(self, k: int) -> bool:
        return self.rels[k].parent in self.hidden

    def _cap(self, node: int, via: int, depth: int, down: bool) -> float:
        """How far `node` can move (down, or up) keeping its relations other than `via`."""
        key = (node, via, depth, down)
        if key not in self._memo:  # cleared whenever the hidden set changes
            self._memo[key] = self._cap_of(node, via, depth, down)
        return self._memo[key]

    def _cap_of(self, node: int, via: int, depth: int, down: bool) -> float:
        if node < 0:  # a residual belongs to one relation only
            return self.value[node] if down else math.inf
        if depth == 0:
            # beyond this the relations loop back on themselves (IMD deciles, quintiles,
            # CORE20, Rest and the ICB): count the cell as free; the differencing test checks
            return self.value[node] if down else math.inf
        cap = self.value[node] if down else math.inf
        for k, role in self.member.get(node, []):
            if k != via:
                cap = min(cap, self._room(node, k, role, depth - 1, down))
        return cap

    def _room(self, node: int, k: int, role: str, depth: int, down: bool) -> float:
        """How far the other unknowns of relation k let `node` move."""
        if role == "parent":  # the parent moves with its children
            return sum(self._cap(u, k, depth, down) for u in self._unknown_children(k))
        room = sum(self._cap(u, k, depth, not down) for u in self._unknown_children(k)
                   if u != node)
        if self._parent_hidden(k):
            room += self._cap(self.rels[k].parent, k, depth, down)
        return room

    def _shortfall(self, k: int) -> tuple[int, float, bool] | None:
        """The first sensitive unknown of relation k that is not protected in it:
        (node, shortfall, upward?)."""
        low, high = self.rules.low, self.rules.high
        nodes = [(u, "child") for u in self._unknown_children(k)]
        if self._parent_hidden(k):
            nodes.append((self.rels[k].parent, "parent"))
        for node, role in nodes:
            x = self.value[node]
            if low <= x <= high:  # a suppressed 1-7: every value from low to high possible
                need_up, need_down = high - x, x - low
            elif x > high and len(self.member.get(node, [])) > 1:
                # a complement pinned in one of its relations (a hidden PCN whose practices
                # are all published) protects nothing in the others: free it first
                need_up = need_down = 1
            else:
                continue
            up = self._room(node, k, role, _DEPTH, down=False)
            if up < need_up:
                return node, need_up - up, True
            if self._room(node, k, role, _DEPTH, down=True) < need_down:
                return node, need_down, False
        return None

    def protect(self) -> None:
        """Hide complements until every sensitive unknown is protected in every relation
        (passes over all relations until one changes nothing)."""
        changed = True
        while changed:
            changed = False
            # one complement per relation and pass, so a complement pinned in its own
            # relations is freed there before more cells are hidden beside it
            for k in range(len(self.rels)):
                gap = self._shortfall(k)
                if gap is None:
                    continue
                node, need, upward = gap
                pick = self._complement(k, node, need, upward)
                if pick is None:
                    pick = self._further(k)
                if pick is not None:  # else every cell in reach is already hidden
                    self.hidden.add(pick)
                    self._memo.clear()
                    changed = True

    def _further(self, start: int) -> int | None:
        """When every cell of relation `start` is hidden, its unknowns are pinned by their
        other relations: the smallest visible cell of the nearest such relation."""
        seen, queue = {start}, [start]
        while queue:
            k = queue.pop(0)
            r = self.rels[k]
            members = [c for c in (r.parent, *r.children) if c in self.hidden]
            for u in members:
                for k2, _ in self.member.get(u, []):
                    if k2 in seen:
                        continue
                    seen.add(k2)
                    r2 = self.rels[k2]
                    visible = sorted((c for c in r2.children if c not in self.hidden
                                      and c not in self.fixed), key=lambda c: self.value[c])
                    if visible:
                        return visible[0]
                    if r2.parent not in self.hidden and r2.parent not in self.fixed:
                        return r2.parent
                    queue.append(k2)
        return None

    def _complement(self, k: int, node: int, need: float, upward: bool) -> int | None:
        """The smallest visible child of the same parent that can cover the shortfall (the
        largest when none can); the parent when every child is hidden."""
        r = self.rels[k]
        visible = sorted((c for c in r.children if c not in self.hidden and c != node
                          and c not in self.fixed), key=lambda c: self.value[c])
        if visible:
            enough = [c for c in visible if not upward or self.value[c] >= need]
            return enough[0] if enough else visible[-1]
        return r.parent if r.parent not in self.hidden and r.parent not in self.fixed \
            else None


# --- values from the published counts -----------------------------------------------------

def _published_values(table: pd.DataFrame, published: dict[str, pd.Series],
                      hide: pd.Series, methods: Mapping[str, tuple[str, float]]
                      ) -> dict[str, pd.Series]:
    out = {c: np.full(len(table), np.nan) for c in VALUE_COLUMNS}
    if "indicator_id" not in table:
        return {c: pd.Series(v, index=table.index) for c, v in out.items()}
    # `table` has a RangeIndex (see `suppress`): row labels are positions
    shown = ~hide.to_numpy(bool)
    numerator = published["numerator"].to_numpy(float)
    denominator = published["denominator"].to_numpy(float)
    for ind, rows in table.groupby("indicator_id", sort=False).indices.items():
        if ind not in methods:
            continue  # no method, no value: never publish one from exact counts
        method, multiplier = methods[ind]
        rows = rows[shown[rows] & (denominator[rows] > 0)]
        if not len(rows):
            continue
        x, n = numerator[rows], denominator[rows]
        if method == "dsr":
            value, lower, upper = _standardised(table.iloc[rows], x)
        elif method == "life_expectancy":
            value, lower, upper = _life_expectancy(table.iloc[rows])
        elif method == "proportion":
            value = multiplier * x / n
            lower, upper = (multiplier * lim for lim in wilson(x, n))
        elif method == "amount":  # a quantity per person, not a count: no interval
            value = multiplier * x / n
            lower = upper = np.full(len(x), np.nan)
        else:  # a crude rate, or observed / expected: exact (< 10) or Byar's limits
            lo, hi, _ = poisson_limits(x)
            value, lower, upper = (multiplier * v / n for v in (x, lo, hi))
        for col, v in zip(VALUE_COLUMNS, (value, lower, upper), strict=True):
            out[col][rows] = v
    return {c: pd.Series(v, index=table.index) for c, v in out.items()}


def _life_expectancy(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Life expectancy and its limits as computed, in years to 1 decimal place (as OHID
    publishes them). They cannot give back a count: each is a function of the deaths and
    person-years of 20 age bands, none of which is published (only their rounded totals)."""
    return tuple(np.round(rows[c].to_numpy(float), 1) for c in VALUE_COLUMNS)


def _standardised(rows: pd.DataFrame, published: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A DSR from a published count of at least 10, to 1 decimal place, with Dobson limits
    from the published count.

    Dobson's limits are DSR + sqrt(V / O) (O_limit - O): the ratio of the two arms depends on
    the count O alone, so limits from the exact count would give it back. Here the variance V
    is kept (it comes from the exact computation) and O is the published count, so the arms
    give back only the rounded count; the DSR and V are sums over 19 age bands whose counts and
    populations are not published, two equations in 38 unknowns."""
    exact = rows.numerator.to_numpy(float)
    value = rows.value.to_numpy(float)
    _, bu = byars(exact)
    with np.errstate(divide="ignore", invalid="ignore"):
        root_v = (rows.upper_ci.to_numpy(float) - value) / (bu - exact) * np.sqrt(exact)
        scale = root_v / np.sqrt(published)
    pl, pu = byars(published)
    ok = published >= DSR_MIN_COUNT
    return tuple(np.where(ok, np.round(v, 1), np.nan) for v in (
        value, value + scale * (pl - published), value + scale * (pu - published)))
