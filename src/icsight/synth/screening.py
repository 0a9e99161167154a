"""Cancer screening: bowel, breast and cervical invitations, adequate tests and results.

Each programme invites everyone eligible on its national cycle, from a personal starting point;
at each invitation a person takes part or not according to a personal propensity that is lower
in more deprived areas, in some ethnic groups, and for people with a learning disability or
severe mental illness (BLMK Health and Care Strategy, 2023: "cancer screening coverage varies
and is lower in some population groups"; "people with a learning disability or autism are less
likely to attend screening"). A few people are ceased for clinical reasons (no bowel, breasts or
cervix) and are invited no more.

Coverage is measured as the national KPIs define it, on the reference date
(OHID Fingertips KPI definitions; England values from PQ 47308 (bowel), NHS England, Feb 2025
(breast) and NHS Digital, Cervical Screening Programme England 2023-24 (cervical); BLMK aims
are project estimates [E]):

| programme | invited | cycle | coverage KPI | England | BLMK aim |
| --- | --- | --- | --- | --- | --- |
| bowel (FIT) | 60-74 | 2 years | 60-74 with an adequate test in 30 months | 71.8% | 68% |
| breast | women 50-70 | 3 years | women 53-70 screened in 36 months | ~70% | 70% |
| cervical | women 24.5-64 | 3 years, 5 from 50 | 25-49 in 3.5 years, 50-64 in 5.5 | 68.8% | ~64% |

BLMK sits below England except for breast (BLMK Health Services Strategy, 2024: "with the
exception of breast cancer, uptake of cancer screening has been below the England average over
the last 10 years").

How the figures are reached: the record holds events while a person is registered with a BLMK
practice, within the five-year window and, as history, the 5.5 years before it (the longest
KPI look-back), so coverage measured at any date of the window sees every test its look-back
reaches and does not rise through the window as history accumulates. People who register while
eligible are invited within six months of registering (their earlier screening is not in the
record, so they are treated as due). Each programme's level of take-up (one per KPI age band)
is solved so that the KPI as measured from the generated record meets the BLMK aim, which
leaves uptake (tested within six months of an invitation) close to coverage.
The bowel age extension to 50-59 (completed 2025) is not modelled.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from icsight.model.schema import ETHNICITY_GROUPS
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import (
    DAYS_PER_YEAR,
    NO_DATE,
    SynthContext,
    categorical,
    date_of,
    day,
    to_table,
)

STREAM = "screening"
PROGRAMME_NAMES = ("bowel", "breast", "cervical")
EVENTS = ("invited", "tested", "ceased")
RESULTS = ("normal", "abnormal", "hpv_negative", "hpv_positive")

#: Spread of personal propensity to take part, on the log-odds scale: the same people tend to
#: attend, or not, round after round [E].
PERSONAL_SPREAD = 1.5
#: Take-up is lower for people with a learning disability (BLMK Health and Care Strategy, 2023)
#: and with SMI, in log-odds [E].
CONDITION_EFFECT = {"learning_disability": -1.0, "smi": -0.6}
#: Days from invitation to an adequate test: (median, log-normal spread) [E]. Bowel kits are
#: returned in a few weeks; breast appointments come with the invitation; cervical samples are
#: booked at the practice, some months later.
TEST_DELAY = {"bowel": (21, 0.6), "breast": (21, 0.35), "cervical": (42, 0.8)}
MAX_DELAY_DAYS = 300
#: How far before the window the record keeps screening history: the longest look-back of a
#: coverage KPI (cervical, 50-64: 5.5 years), so that coverage measured at any date of the window
#: sees the tests its look-back reaches, as a GP record received by GP2GP transfer does.
HISTORY_MONTHS = 66
#: People who register with a BLMK practice while eligible are invited this many days after
#: registering (a range) [E].
NEWCOMER_INVITE_DAYS = (14, 180)


@dataclass(frozen=True)
class Band:
    """One coverage KPI age band: who counts, how far back a test counts, and the aim."""

    lo: int  # age on the reference date, inclusive
    hi: int  # age on the reference date, inclusive
    lookback_months: int
    coverage: float  # the BLMK coverage aimed at


@dataclass(frozen=True)
class Programme:
    """A national screening programme as the generator models it."""

    name: str
    female_only: bool
    first_age: float  # age at the first invitation, before the personal phase
    phase_years: float  # first invitation falls up to this long after `first_age`
    last_age: float  # no invitations from this birthday
    interval_years: float
    interval_from_50: float  # cervical recall becomes 5-yearly from 50
    bands: tuple[Band, ...]
    negative: str
    positive: str
    positivity: float  # share of adequate tests with the positive result
    ceased: float  # share of the eligible with a `ceased` event in the window
    deprivation: float  # log-odds gap in take-up, least vs most deprived decile
    ethnicity: dict[str, float] = field(default_factory=dict)  # log-odds vs White


PROGRAMMES = (
    # Bowel: England 71.8% (PQ 47308); BLMK a few points lower [E]. FIT positivity at the
    # 120 ug/g threshold ~2% [K]. Colectomy ceases ~0.5% [E]. Deprivation gap ~15-18 points
    # between the extreme deciles (Fingertips) [K].
    Programme("bowel", False, 60.0, 1.0, 75.0, 2.0, 2.0, (Band(60, 74, 30, 0.68),),
              "normal", "abnormal", 0.02, 0.005, 0.9,
              {"Asian": -0.6, "Black": -0.6, "Mixed": -0.3, "Other": -0.5, "Not stated": -0.3}),
    # Breast: England ~70% coverage 2023/24 (NHS England, Feb 2025); BLMK about the same, the
    # one programme not below England (BLMK Health Services Strategy, 2024). ~4% recalled for
    # assessment [K].
    Programme("breast", True, 50.0, 3.0, 71.0, 3.0, 3.0, (Band(53, 70, 36, 0.70),),
              "normal", "abnormal", 0.04, 0.003, 0.6,
              {"Asian": -0.4, "Black": -0.3, "Mixed": -0.2, "Other": -0.4, "Not stated": -0.3}),
    # Cervical: England 66.1% (25-49) and 74.3% (50-64), 68.8% overall at 31 March 2024 (NHS
    # Digital Cervical Screening Programme 2023-24); BLMK 3-8 points lower (4.4) [E]. HPV
    # positivity ~12% of primary HPV tests, highest in the youngest [K]. Hysterectomy and other
    # clinical reasons cease ~2% [E].
    Programme("cervical", True, 24.5, 0.0, 65.0, 3.0, 5.0,
              (Band(25, 49, 42, 0.61), Band(50, 64, 66, 0.70)),
              "hpv_negative", "hpv_positive", 0.12, 0.02, 0.45,
              {"Asian": -0.6, "Black": -0.3, "Mixed": -0.2, "Other": -0.5, "Not stated": -0.3}),
)
#: Relative HPV positivity by age (young women most often positive) [E, shape of the CSMS
#: figures]; scaled so the average positivity is `Programme.positivity`.
HPV_AGES, HPV_RELATIVE = (25, 30, 40, 50, 65), (2.2, 1.5, 0.9, 0.6, 0.5)
#: The log-odds intercept used when no level of take-up could reach the aim.
MAX_INTERCEPT = 8.0


@dataclass
class _Invites:
    """Invitations (one element each) with what follows them."""

    person: np.ndarray  # population index
    day: np.ndarray  # invitation day
    test_day: np.ndarray  # day of the test if the person takes part
    draw: np.ndarray  # log-odds of the uniform draw deciding take-part


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """The `screening` table: every programme's invitations, tests and ceasings."""
    rng = ctx.rng(STREAM)
    parts = [_programme_events(ctx, rng, i, prog) for i, prog in enumerate(PROGRAMMES)]
    person, days, prog, event, result = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((event, days, person))
    person, days, prog, event, result = (a[order] for a in (person, days, prog, event, result))
    return {"screening": to_table("screening", {
        "patient_id": ctx.pop.patient_id[person],
        "programme": categorical(PROGRAMME_NAMES, prog),
        "event": categorical(EVENTS, event),
        "date": days,
        "result": _nullable_categorical(RESULTS, result),
    })}


def _programme_events(ctx: SynthContext, rng: np.random.Generator, index: int,
                      prog: Programme) -> tuple[np.ndarray, ...]:
    p = ctx.pop
    eligible = _eligible(ctx, prog)
    ceased_day = _ceased_days(ctx, rng, prog, eligible)
    inv = _invitations(ctx, rng, prog, eligible, ceased_day)
    score = np.full(p.n, np.nan)
    score[eligible] = _propensity(ctx, rng, prog, eligible)
    intercept = _solve_intercepts(ctx, prog, inv, score, ceased_day)
    takes_part = inv.draw < intercept[inv.person] + score[inv.person]
    tested = (takes_part & (inv.test_day < ceased_day[inv.person])
              & _in_history(ctx, inv.person, inv.test_day))
    t_person, t_day = inv.person[tested], inv.test_day[tested]
    invited = _in_history(ctx, inv.person, inv.day)
    i_person, i_day = inv.person[invited], inv.day[invited]
    c_person = eligible[ceased_day[eligible] != NO_DATE]
    result = _results(ctx, rng, prog, t_person, t_day)
    person = np.concatenate([i_person, t_person, c_person])
    days = np.concatenate([i_day, t_day, ceased_day[c_person]]).astype(np.int32)
    event = np.repeat(np.arange(3, dtype=np.int8), [len(i_person), len(t_person), len(c_person)])
    result = np.concatenate([np.full(len(i_person), -1), result, np.full(len(c_person), -1)])
    return person, days, np.full(len(person), index, np.int8), event, result


def _eligible(ctx: SynthContext, prog: Programme) -> np.ndarray:
    """People who could be invited at some point while in the window's record."""
    p = ctx.pop
    end = ctx.active_end()
    reaches_first = p.dob + (prog.first_age * DAYS_PER_YEAR) <= end
    before_last = p.dob + prog.last_age * DAYS_PER_YEAR > ctx.window_start - MAX_DELAY_DAYS
    ok = reaches_first & before_last & (end >= ctx.window_start)
    if prog.female_only:
        ok &= p.female
    return np.flatnonzero(ok)


def _propensity(ctx: SynthContext, rng: np.random.Generator, prog: Programme,
                people: np.ndarray) -> np.ndarray:
    """Personal log-odds of taking part, before the programme's level is added."""
    p = ctx.pop
    score = prog.deprivation * (p.imd_decile[people] - 5.5) / 9.0
    eth = np.zeros(len(ETHNICITY_GROUPS))
    for group, effect in prog.ethnicity.items():
        eth[ETHNICITY_GROUPS.index(group)] = effect
    score += eth[p.ethnicity_group[people]]
    for condition, effect in CONDITION_EFFECT.items():
        score += np.where(p.conditions[condition].has[people], effect, 0.0)
    return score + rng.normal(0, PERSONAL_SPREAD, len(people))


def _ceased_days(ctx: SynthContext, rng: np.random.Generator, prog: Programme,
                 people: np.ndarray) -> np.ndarray:
    """Per person, the day they were ceased (NO_DATE for nearly everyone)."""
    p = ctx.pop
    out = np.full(p.n, NO_DATE, np.int32)
    lo = np.maximum.reduce([np.full(len(people), ctx.window_start), p.registration_start[people],
                            (p.dob[people] + prog.first_age * DAYS_PER_YEAR).astype(np.int32)])
    hi = np.minimum(ctx.active_end()[people],
                    (p.dob[people] + prog.last_age * DAYS_PER_YEAR).astype(np.int32))
    chosen = (rng.random(len(people)) < prog.ceased) & (hi >= lo)
    when = lo + (rng.random(len(people)) * (hi - lo + 1)).astype(np.int32)
    out[people[chosen]] = when[chosen]
    return out


def _invitations(ctx: SynthContext, rng: np.random.Generator, prog: Programme,
                 people: np.ndarray, ceased_day: np.ndarray) -> _Invites:
    """Invitations on the national cycle from each person's first, while they are eligible."""
    p = ctx.pop
    dob = p.dob[people].astype(np.float64)
    end = np.minimum(ctx.active_end()[people], ceased_day[people])
    age = prog.first_age + rng.random(len(people)) * prog.phase_years
    # Newcomers are invited soon after they register: the record holds none of their earlier
    # screening, so they are treated as due (a practice's next round; cervical call/recall).
    joined = p.registration_start[people] + rng.integers(*NEWCOMER_INVITE_DAYS, len(people))
    newcomer = joined > _history_start(ctx)
    age = np.where(newcomer, np.maximum(age, (joined - dob) / DAYS_PER_YEAR), age)
    first_kept = _history_start(ctx) - MAX_DELAY_DAYS
    who, when = [], []
    live = np.ones(len(people), bool)
    while live.any():
        t = np.ceil(dob + age * DAYS_PER_YEAR)  # the first whole day at that age
        live &= (t - dob < prog.last_age * DAYS_PER_YEAR) & (t <= end)
        keep = live & (t >= first_kept)
        who.append(people[keep])
        when.append(t[keep].astype(np.int32))
        age = age + np.where(age >= 50, prog.interval_from_50, prog.interval_years)
    person, days = np.concatenate(who), np.concatenate(when)
    median, spread = TEST_DELAY[prog.name]
    delay = np.minimum(np.round(rng.lognormal(np.log(median), spread, len(person))),
                       MAX_DELAY_DAYS).astype(np.int32)
    u = np.clip(rng.random(len(person)), 1e-12, 1 - 1e-12)
    return _Invites(person, days, days + delay, np.log(u / (1 - u)))


def _solve_intercepts(ctx: SynthContext, prog: Programme, inv: _Invites, score: np.ndarray,
                      ceased_day: np.ndarray) -> np.ndarray:
    """Per person, the log-odds level of take-up that makes each KPI band meet its aim.

    A person in the denominator is covered when any invitation whose test would fall in the
    look-back (and in the record) is taken up, i.e. when min(draw) - score < intercept. So the
    intercept that gives coverage c is the c-quantile of that per-person threshold.
    """
    p = ctx.pop
    ref = ctx.reference_date
    age_now = _age_by_month(p.dob, ref)
    group = np.zeros(p.n, np.int8)  # people outside every band take the nearest band's level
    for g, band in enumerate(prog.bands[1:], start=1):
        group[age_now >= band.lo] = g
    registered = (p.registration_start <= ref) & (p.registration_end > ref) & (p.death > ref)
    counted = registered & (ceased_day > ref) & ~np.isnan(score)
    if prog.female_only:
        counted &= p.female
    levels = np.zeros(len(prog.bands))
    for g, band in enumerate(prog.bands):
        in_band = counted & (age_now >= band.lo) & (age_now <= band.hi)
        since = _months_before(ref, band.lookback_months)
        ok = (in_band[inv.person] & (inv.test_day > since) & (inv.test_day <= ref)
              & _in_history(ctx, inv.person, inv.test_day))
        threshold = np.full(p.n, np.inf)
        np.minimum.at(threshold, inv.person[ok], inv.draw[ok] - score[inv.person[ok]])
        levels[g] = _quantile_level(threshold[in_band], band.coverage)
    return levels[group]


def _history_start(ctx: SynthContext) -> int:
    return _months_before(ctx.window_start, HISTORY_MONTHS)


def _in_history(ctx: SynthContext, person: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Which events fall while the person is alive and registered, from the history's start
    (before the window) to the end of their record."""
    p = ctx.pop
    return ((days >= _history_start(ctx)) & (days >= p.dob[person])
            & (days >= p.registration_start[person]) & (days <= ctx.active_end()[person]))


def _quantile_level(threshold: np.ndarray, coverage: float) -> float:
    """The smallest level below which a share `coverage` of the thresholds fall."""
    if len(threshold) == 0:
        return 0.0
    ordered = np.sort(threshold)
    k = min(max(int(np.ceil(coverage * len(ordered))) - 1, 0), len(ordered) - 1)
    level = ordered[k]
    return MAX_INTERCEPT if not np.isfinite(level) else float(min(level + 1e-9, MAX_INTERCEPT))


def _results(ctx: SynthContext, rng: np.random.Generator, prog: Programme, person: np.ndarray,
             days: np.ndarray) -> np.ndarray:
    """Result index into RESULTS for each test."""
    chance = np.full(len(person), prog.positivity)
    if prog.name == "cervical" and len(person):
        relative = np.interp((days - ctx.pop.dob[person]) / DAYS_PER_YEAR, HPV_AGES,
                             HPV_RELATIVE)
        chance = np.minimum(prog.positivity * relative / relative.mean(), 0.9)
    positive = rng.random(len(person)) < chance
    return np.where(positive, RESULTS.index(prog.positive), RESULTS.index(prog.negative))


def _age_by_month(dob: np.ndarray, on: int) -> np.ndarray:
    """Whole years between the month of birth and the month of `on`, as a record with only
    the month of birth gives it (DuckDB `date_diff('month', ...) // 12`)."""
    born = dob.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    now = np.datetime64(date_of(on), "M").astype(np.int64)
    return (now - born) // 12


def _months_before(on: int, months: int) -> int:
    """Day number of `on` minus whole months (day clipped to the month's end, as DuckDB)."""
    d = date_of(on)
    total = d.year * 12 + d.month - 1 - months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day(d.replace(year=year, month=month + 1, day=min(d.day, last)))


def _nullable_categorical(values: tuple[str, ...], index: np.ndarray) -> pa.Array:
    """A string column from an index into `values`, null where the index is negative."""
    dictionary = pa.array(list(values), type=pa.string())
    indices = pa.array(np.maximum(index, 0).astype(np.int32), mask=index < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def _coverage_sql(programme: str, female_only: bool, bands: tuple[Band, ...]) -> str:
    """Coverage on the reference date, as the KPI defines it, over the given age bands."""
    sex = "AND sex = 'female'" if female_only else ""
    covered = " OR ".join(
        f"(age BETWEEN {b.lo} AND {b.hi} AND last_test > {{ref}} - INTERVAL {b.lookback_months}"
        " MONTH)" for b in bands)
    ages = " OR ".join(f"age BETWEEN {b.lo} AND {b.hi}" for b in bands)
    return f"""
    WITH reg AS ({REGISTERED}),
    people AS (SELECT patient_id, date_diff('month', month_of_birth, {{ref}}) // 12 AS age
               FROM reg WHERE TRUE {sex}),
    ceased AS (SELECT DISTINCT patient_id FROM screening
               WHERE programme = '{programme}' AND event = 'ceased' AND date <= {{ref}}),
    tests AS (SELECT patient_id, max(date) AS last_test FROM screening
              WHERE programme = '{programme}' AND event = 'tested' AND date <= {{ref}}
              GROUP BY patient_id)
    SELECT 100.0 * avg(CASE WHEN {covered} THEN 1 ELSE 0 END)
    FROM people LEFT JOIN tests USING (patient_id)
    WHERE ({ages}) AND patient_id NOT IN (SELECT patient_id FROM ceased)
    """


def _positivity_sql(programme: str, positive: str) -> str:
    return f"""
    SELECT 100.0 * avg(CASE WHEN result = '{positive}' THEN 1 ELSE 0 END) FROM screening
    WHERE programme = '{programme}' AND event = 'tested'
    """


_BOWEL, _BREAST, _CERVICAL = PROGRAMMES
TARGETS = [
    Target("bowel_coverage", "Bowel screening coverage: people 60-74 with an adequate FIT in "
           "the last 30 months", 68.0, 3.0, "%",
           "England 71.8% (PQ 47308; Fingertips KPI definition); BLMK below "
           "England (BLMK Health Services Strategy, 2024) [E: 68%]",
           _coverage_sql("bowel", False, _BOWEL.bands)),  # history before the window too
    Target("breast_coverage", "Breast screening coverage: women 53-70 screened in the last "
           "36 months", 70.0, 3.0, "%",
           "England ~70% in 2023/24 (NHS England, Feb 2025); BLMK about the same, the exception "
           "in the BLMK Health Services Strategy (2024)",
           _coverage_sql("breast", True, _BREAST.bands)),
    Target("cervical_coverage", "Cervical screening coverage, 25-64: 25-49 in 3.5 years, "
           "50-64 in 5.5 years", 64.0, 3.0, "%",
           "NHS Digital Cervical Screening Programme 2023-24: England 68.8% (25-64); BLMK 3-8 "
           "points lower (project estimate) [E]",
           _coverage_sql("cervical", True, _CERVICAL.bands)),
    Target("cervical_coverage_25_49", "Cervical screening coverage, women 25-49 screened in "
           "3.5 years", 61.0, 3.0, "%",
           "NHS Digital Cervical Screening Programme 2023-24: England 66.1% (25-49); BLMK "
           "lower [E]", _coverage_sql("cervical", True, _CERVICAL.bands[:1])),
    Target("cervical_hpv_positive", "Cervical screening: HPV-positive share of adequate "
           "tests", 12.0, 1.5, "%", "NHS Cervical Screening Programme, primary HPV testing: "
           "~12% HPV positive [K]", _positivity_sql("cervical", "hpv_positive")),
]
