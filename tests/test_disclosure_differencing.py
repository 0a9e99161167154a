"""Differencing attacks on the published indicator table, for every indicator and month.

The attacker sees what a public user sees (rounded counts, recomputed values, which cells are
suppressed) and knows how the table adds up: the ICB is the sum of its places, a place of its
PCNs, a PCN of its practices (the parentage is public reference data), the ICB of each other
breakdown; an IMD quintile is the sum of its two deciles, CORE20 is quintile 1 and Rest is
quintiles 2-5. Every parent minus its published children is a residual (people in no published
group): the attacker is told which residuals are exactly zero, the strongest case. The attacker
also reads the definitions, so knows which indicators share a denominator in a month, and pools
what they publish: a denominator published by any of them is known for all (`pooled`).

Criterion. For each indicator, month and count column, linear programming (scipy's HiGHS) over
all those relations, with each published count c known only to lie in [c - 2, c + 2] and each
suppressed count or residual at least 0, gives the feasible interval of every suppressed cell
and residual whose true count is 1-7. The cell is *recovered* when that interval does not
contain the whole of [1, 7], i.e. the attacker can rule out some value a suppressed 1-7 might
take. The LP relaxation contains every integer solution, so an interval it cannot narrow no
integer reasoning narrows either. Separately, a count is *recovered from its value* when
exactly one (numerator, denominator) pair within rounding of the published counts reproduces
the published percentage or rate, and it is the exact pair that was rounded away.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from icsight.governance.disclosure import DisclosureRules, suppress

LOW, HIGH, HALF = 1, 7, 2  # primary suppression range; a rounded count is within 2 of the truth


# --- the attacker ---------------------------------------------------------------------------

def links(part: pd.DataFrame, hierarchy: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """(parent, children) row labels of every additive relation the attacker knows."""
    at = {(b, str(g)): i for i, b, g in zip(part.index, part.breakdown, part.group, strict=True)}
    icb = at.get(("icb", "BLMK"))
    out = []
    for b in set(part.breakdown) - {"icb", "pcn", "practice"}:
        out.append((icb, [i for (bb, _), i in at.items() if bb == b]))
    for place, pcns in hierarchy.groupby("place").pcn_code:
        out.append((at.get(("place", place)), [at.get(("pcn", p)) for p in set(pcns)]))
    for pcn, practices in hierarchy.groupby("pcn_code").practice_code:
        out.append((at.get(("pcn", pcn)), [at.get(("practice", p)) for p in practices]))
    for q in range(1, 6):
        out.append((at.get(("imd_quintile", str(q))),
                    [at.get(("imd_decile", str(d))) for d in (2 * q - 1, 2 * q)]))
    out.append((at.get(("core20", "CORE20")), [at.get(("imd_quintile", "1"))]))
    out.append((at.get(("core20", "Rest")), [at.get(("imd_quintile", str(q)))
                                             for q in range(2, 6)]))
    return [(p, [c for c in kids if c is not None]) for p, kids in out
            if p is not None and any(c is not None for c in kids)]


def _variables(published: np.ndarray, exact: np.ndarray, rels):
    """Names (row positions, and ('r', k) for each non-zero residual) and starting bounds."""
    names = list(range(len(published))) + [("r", k) for k, (p, kids) in enumerate(rels)
                                           if exact[p] - exact[kids].sum() > 1e-6]
    bounds = [(max(0.0, published[n] - HALF), published[n] + HALF)
              if not isinstance(n, tuple) and not np.isnan(published[n])
              else (0.0, np.inf) for n in names]
    return names, bounds


def _equations(names, rels) -> list[tuple[int, list[int]]]:
    col = {n: j for j, n in enumerate(names)}
    return [(col[p], [col[c] for c in kids] + ([col[("r", k)]] if ("r", k) in col else []))
            for k, (p, kids) in enumerate(rels)]


def propagate(published: np.ndarray, exact: np.ndarray, rels, targets):
    """Interval arithmetic iterated over every relation to a fixed point: each member of
    parent = sum(children) is bounded by the others' bounds."""
    names, bounds = _variables(published, exact, rels)
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    eqs = [(p, np.array(kids)) for p, kids in _equations(names, rels)]
    for _ in range(100):
        before = (lo.copy(), hi.copy())
        for p, kids in eqs:
            lo[p], hi[p] = max(lo[p], lo[kids].sum()), min(hi[p], hi[kids].sum())
            kl, kh = lo[kids], hi[kids]
            unbounded = np.isinf(kh)
            finite = kh[~unbounded].sum()
            others_hi = np.where(unbounded.sum() - unbounded > 0, np.inf,
                                 finite - np.where(unbounded, 0, kh))
            lo[kids] = np.maximum(kl, lo[p] - others_hi)
            hi[kids] = np.minimum(kh, hi[p] - (kl.sum() - kl))
        if np.array_equal(before[0], lo) and np.array_equal(before[1], hi):
            break
    col = {n: j for j, n in enumerate(names)}
    return {t: (lo[col[t]], hi[col[t]]) for t in targets}


def linear_program(published: np.ndarray, exact: np.ndarray, rels, targets):
    """The strongest attacker: min and max of each target by linear programming."""
    names, bounds = _variables(published, exact, rels)
    eqs = _equations(names, rels)
    a = np.zeros((len(eqs), len(names)))
    for k, (p, kids) in enumerate(eqs):
        a[k, p], a[k, kids] = 1, -1
    bounds = [(lo, None if np.isinf(hi) else hi) for lo, hi in bounds]
    col, out = {n: j for j, n in enumerate(names)}, {}
    for t in targets:
        c = np.zeros(len(names))
        c[col[t]] = 1
        lo = linprog(c, A_eq=a, b_eq=np.zeros(len(eqs)), bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=a, b_eq=np.zeros(len(eqs)), bounds=bounds, method="highs")
        out[t] = (lo.fun if lo.status == 0 else -np.inf, -hi.fun if hi.status == 0 else np.inf)
    return out


def attack(published: pd.DataFrame, exact: pd.DataFrame, hierarchy: pd.DataFrame,
           solver=propagate):
    """(cells attacked, [(indicator, period, column, cell, true count, interval) recovered]):
    every suppressed count and residual whose true value is 1-7, in every indicator, period
    and count column."""
    attacked, recovered = 0, []
    for (ind, period), part in exact.groupby(["indicator_id", "period_end"], sort=False):
        position = {label: j for j, label in enumerate(part.index)}
        rels = [(position[p], [position[c] for c in kids])
                for p, kids in links(part, hierarchy)]
        for column in ("numerator", "denominator"):
            truth = part[column].to_numpy(float)
            pub = published.loc[part.index, column].to_numpy(float)
            small = (truth >= LOW) & (truth <= HIGH)
            targets = [j for j in range(len(truth)) if small[j] and np.isnan(pub[j])]
            targets += [("r", k) for k, (p, kids) in enumerate(rels)
                        if LOW <= truth[p] - truth[kids].sum() <= HIGH]
            for t, (lo, hi) in solver(pub, truth, rels, targets).items():
                attacked += 1
                if lo > LOW + 1e-6 or hi < HIGH - 1e-6:
                    cell = part.index[t] if not isinstance(t, tuple) else t
                    recovered.append((ind, period, column, cell, (lo, hi)))
    return attacked, recovered


def pooled(published: pd.DataFrame, exact: pd.DataFrame) -> pd.DataFrame:
    """The published table with every hidden denominator filled in from any indicator of the
    same month whose denominator is the same in every (breakdown, group)."""
    out = published.copy()
    family: dict[tuple, list[pd.Index]] = {}
    for (_, period), part in exact.groupby(["indicator_id", "period_end"], sort=False):
        cells = tuple(sorted(zip(part.breakdown, part.group.astype(str),
                                 part.denominator.astype(float), strict=True)))
        family.setdefault((period, cells), []).append(part.index)
    for members in family.values():
        if len(members) < 2:
            continue
        shown = pd.concat([out.loc[ix, ["breakdown", "group", "denominator"]] for ix in members])
        known = shown.dropna().astype({"group": str}).drop_duplicates(["breakdown", "group"])
        known = known.set_index(["breakdown", "group"]).denominator
        for ix in members:
            cells = pd.MultiIndex.from_arrays([out.breakdown[ix], out.group[ix].astype(str)])
            out.loc[ix, "denominator"] = known.reindex(cells).to_numpy()
    return out


def recovered_from_values(published: pd.DataFrame, exact: pd.DataFrame,
                          methods: dict[str, tuple[str, float]]) -> int:
    """Counts worked back from value x each denominator within rounding of the published one."""
    found = 0
    for i, row in published.iterrows():
        method, multiplier = methods[row.indicator_id]
        if method not in ("proportion", "rate") or np.isnan(row.value) or np.isnan(
                row.denominator):
            continue
        fits = []
        for n in range(max(1, int(row.denominator) - HALF), int(row.denominator) + HALF + 1):
            x = row.value * n / multiplier
            if abs(x - round(x)) < 1e-6 and abs(round(x) - row.numerator) <= HALF:
                fits.append((round(x), n))
        truth = (int(exact.numerator[i]), int(exact.denominator[i]))
        if fits == [truth] and truth != (row.numerator, row.denominator):
            found += 1
    return found


def naive_publish(table: pd.DataFrame) -> pd.DataFrame:
    """The code this replaced: values from exact counts, and one secondary cell per breakdown
    anywhere in it (not within the parent)."""
    out = table.copy()
    hide = out.numerator.between(LOW, HIGH) | out.denominator.between(LOW, HIGH)
    for _, part in out.groupby(["indicator_id", "period_end", "breakdown"]):
        hidden = hide[part.index]
        if len(part) > 1 and hidden.sum() == 1 and (~hidden).any():
            hide[part[~hidden].numerator.idxmin()] = True
    for col in ("numerator", "denominator"):
        out[col] = (np.round(out[col] / 5) * 5).where(~hide)
    for col in ("value", "lower_ci", "upper_ci"):
        out[col] = out[col].where(~hide)
    return out.assign(suppressed=hide)


# --- a small built lake: every indicator, three months --------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from icsight.engine import open_lake
    from icsight.indicators.breakdown import reference_frames
    from icsight.indicators.catalogue import catalogue
    from icsight.indicators.series import month_ends, monthly_values
    from icsight.synth import DEFAULT_REFERENCE_DATE
    from icsight.synth.generate import generate_lake
    from tests.lakes import TEST_KEY

    folder = tmp_path_factory.mktemp("disclosure") / "blmk"
    generate_lake(folder, population=1_500, seed=5, reference_date=DEFAULT_REFERENCE_DATE,
                  key=TEST_KEY)
    lake = open_lake(folder, purpose="planning")
    ends = month_ends(lake.reference_date, 3)
    with lake.sharing():
        values = [monthly_values(lake, ind, ends) for ind in catalogue().values()]
    methods = {i.id: (i.method, i.multiplier) for i in catalogue().values()}
    table = pd.concat(values, ignore_index=True)
    hierarchy = reference_frames(lake)[0]
    published = suppress(table, hierarchy=hierarchy, methods=methods)
    return table, hierarchy, methods, published, folder


def _every_indicator_with_a_denominator(exact: pd.DataFrame, methods: dict, folder) -> None:
    from tests.lakes import assert_absent_only_for_want_of_events

    first = pd.Timestamp(exact.period_end.min()) - pd.offsets.MonthBegin(1)
    assert_absent_only_for_want_of_events(set(methods) - set(exact.indicator_id), folder,
                                          str(first.date()), str(exact.period_end.max()))


def test_the_attack_recovers_hidden_counts_from_the_naive_publisher(built):
    exact, hierarchy, methods, _, _ = built
    exact = exact[exact.period_end == exact.period_end.max()]  # one month is enough to bite
    naive = naive_publish(exact)
    attacked, recovered = attack(naive, exact, hierarchy)
    assert attacked > 100 and len(recovered) > 5, (attacked, len(recovered))
    assert recovered_from_values(naive, exact, methods) > 50


def test_no_suppressed_count_is_recovered_for_any_indicator_or_month(built):
    exact, hierarchy, methods, published, folder = built
    _every_indicator_with_a_denominator(exact, methods, folder)
    assert exact.period_end.nunique() == 3
    attacked, recovered = attack(pooled(published, exact), exact, hierarchy)
    print(f"differencing (families pooled): {attacked} cells attacked, "
          f"{len(recovered)} recovered")
    assert attacked > 100
    assert recovered == []
    assert recovered_from_values(published, exact, methods) == 0


def test_published_values_are_the_published_counts_values(built):
    _, _, methods, published, _ = built
    shown = published[~published.suppressed & (published.denominator > 0)]
    for method, multiplier in {("proportion", 100)}:
        ids = [i for i, m in methods.items() if m == (method, multiplier)]
        rows = shown[shown.indicator_id.isin(ids)]
        assert len(rows) > 20
        np.testing.assert_allclose(rows.value, 100 * rows.numerator / rows.denominator)
    dsr = shown[shown.indicator_id.isin([i for i, m in methods.items() if m[0] == "dsr"])]
    assert dsr[dsr.numerator < 10].value.isna().all()
    assert (dsr.value.dropna() == dsr.value.dropna().round(1)).all()


def test_every_visible_count_is_rounded_and_none_is_small(built):
    published = built[3]
    visible = published[~published.suppressed]
    assert (visible.numerator % 5 == 0).all() and (visible.denominator % 5 == 0).all()
    assert not visible.numerator.between(LOW, HIGH).any()
    share = published[published.breakdown == "practice"].suppressed.mean()
    print(f"practice cells hidden: {share:.0%}; all cells hidden: "
          f"{published.suppressed.mean():.0%}")


# --- indicators sharing a denominator -------------------------------------------------------

def two_indicators_one_denominator() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A PCN of three practices; two crude rates over the same registered population (one
    person in practice A, with 12 admissions and 12 appointments), each with a small count in
    a different practice, so each alone hides a different complement beside A."""
    denominators = {"PCN1": 221, "A": 1, "B": 100, "C": 120}
    numerators = {"ADM_RATE": {"PCN1": 65, "A": 12, "B": 50, "C": 3},
                  "OPD_RATE": {"PCN1": 75, "A": 12, "B": 3, "C": 60}}
    rows = [{"indicator_id": ind, "period_end": "2026-09-30",
             "breakdown": "pcn" if g == "PCN1" else "practice", "group": g,
             "numerator": float(x), "denominator": float(denominators[g])}
            for ind, counts in numerators.items() for g, x in counts.items()]
    hierarchy = pd.DataFrame({"practice_code": ["A", "B", "C"], "pcn_code": ["PCN1"] * 3,
                              "place": ["P"] * 3})
    return pd.DataFrame(rows), hierarchy


def test_pooling_two_indicators_recovers_a_denominator_each_hid_alone():
    exact, hierarchy = two_indicators_one_denominator()
    alone = suppress(exact, DisclosureRules(joint=False), hierarchy=hierarchy)
    # each indicator alone is safe: its own hidden practices cover practice A
    assert attack(alone, exact, hierarchy, solver=linear_program)[1] == []
    _, recovered = attack(pooled(alone, exact), exact, hierarchy, solver=linear_program)
    assert {(ind, cell) for ind, _, column, cell, _ in recovered if column == "denominator"} \
        >= {("ADM_RATE", 1), ("OPD_RATE", 5)}  # practice A's list size of 1, in each indicator


def test_indicators_sharing_a_denominator_hide_the_same_cells_and_give_nothing_pooled():
    exact, hierarchy = two_indicators_one_denominator()
    joint = suppress(exact, hierarchy=hierarchy)
    hidden = joint.groupby("indicator_id").apply(
        lambda t: frozenset(t.group[t.suppressed]), include_groups=False)
    assert hidden["ADM_RATE"] == hidden["OPD_RATE"] >= {"A", "B", "C"}
    attacked, recovered = attack(pooled(joint, exact), exact, hierarchy, solver=linear_program)
    assert attacked >= 4 and recovered == []


def test_every_family_in_the_built_table_hides_the_same_cells(built):
    exact, _, _, published, _ = built
    shared = 0
    for period, month in exact.groupby("period_end"):
        hidden_sets: dict[tuple, list] = {}
        for _, part in month.groupby("indicator_id"):
            key = tuple(sorted(zip(part.breakdown, part.group.astype(str),
                                   part.denominator.astype(float), strict=True)))
            hidden = published.loc[part.index][published.suppressed[part.index]]
            hidden_sets.setdefault(key, []).append(
                frozenset(zip(hidden.breakdown, hidden.group, strict=True)))
        shared += sum(len(sets) for sets in hidden_sets.values() if len(sets) > 1)
        assert all(len(set(sets)) == 1 for sets in hidden_sets.values()), period
    assert shared > 10  # indicators of the catalogue do share denominators


def test_pooling_recovers_counts_from_the_built_table_suppressed_one_indicator_at_a_time(built):
    exact, hierarchy, methods, _, _ = built
    exact = exact[exact.period_end == exact.period_end.max()].reset_index(drop=True)
    alone = suppress(exact, DisclosureRules(joint=False), hierarchy=hierarchy, methods=methods)
    assert attack(alone, exact, hierarchy)[1] == []  # each indicator is safe on its own
    attacked, recovered = attack(pooled(alone, exact), exact, hierarchy)
    print(f"per-indicator suppression, families pooled: {attacked} attacked, "
          f"{len(recovered)} recovered")
    assert recovered
