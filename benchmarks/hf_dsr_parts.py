"""Heart failure emergency admissions (HF_ADM_DSR) year by year over the window, and their parts,
from the generator's own arrays (issue 11, point 1): quicker than writing lakes, and each
admission's source is known.

For each seed, the people, their conditions and the emergency spells are drawn exactly as
`icsight synth` draws them (the same streams; `hospital.generate` calls the same functions in
the same order before them), with the spell-making functions wrapped to note where each spell
came from: the age rates x personal risk, the extra admissions of the last year of life (of a
death in the window or a notional one just after it), or the final spell of a death in
hospital. For each year of the window (to the reference date's day and month):

* the HF-coded (I50) admissions actually drawn, and their expectation given the spells: a
  spell of a person on the heart failure register that day is coded to it with the
  condition's share, and otherwise (or if not) draws the background I500 weight of its age
  group (`emergency.EMERGENCY_DIAGNOSES`); the expectation leaves out the coding's own chance,
  so it moves far less from seed to seed than the count;
* both directly standardised (ESP2013, five-year bands of age at admission, per 100,000
  registered on the year's last day), as HF_ADM_DSR counts them;
* the expectation's parts: register and background, and the three sources of spells;
* per band from 45, the register's person-years, its admissions per person-year and its mean
  relative risk (`emergency._admission_risk`) on every 28th day, and the all-cause admissions
  per person-year.

The interval of the last year's DSR against the first's is clustered by person (the variance
of the log ratio is the sum over people of the change in their share of the DSR, squared).

    PYTHONPATH=src python benchmarks/hf_dsr_parts.py --population 300000 --seeds 1-10 \\
        --json /tmp/parts_main.json
    PYTHONPATH=src python benchmarks/hf_dsr_parts.py --against /tmp/parts_main.json \\
        --population 300000 --seeds 1-10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib

import numpy as np

from icsight.stats.rates import esp2013
from icsight.synth import build_context
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, date_of, day
from icsight.synth.hospital import emergency as em
from icsight.synth.hospital.codes import code_lists
from icsight.synth.hospital.common import _ages, _cohort

BANDS = 19  # ESP2013: 0-4, ..., 85-89, 90+
SOURCES = ("age_rate", "last_year", "final")
GROUP_EDGES = (1, 16, 65)
RISK_GRID = 28  # `_emergency_diagnoses`' age groups of the background weights


def _background_i50_share() -> np.ndarray:
    """Share of the background diagnoses coded I50 in each of the four age groups."""
    weights = np.array(list(em.EMERGENCY_DIAGNOSES.values()), float)
    codes = list(em.EMERGENCY_DIAGNOSES)
    hf = np.array([c.startswith("I50") for c in codes])
    return weights[hf].sum(axis=0) / weights.sum(axis=0)


def _spells_with_sources(ctx):
    """Emergency spells (person, adm, diag) as `hospital.generate` draws them, with each one's
    source (index into SOURCES), the personal risks used and the day of death or notional
    death."""
    noted: dict = {}
    real = {name: getattr(em, name) for name in
            ("_last_year_of_life", "_dying_in_hospital", "_tidy_spells",
             "_admission_risk", "_death_or_notional_death")}

    def last_year_of_life(*args, **kwargs):
        out = real["_last_year_of_life"](*args, **kwargs)
        noted["n_last_year"] = len(out[0])
        return out

    def admission_risk(*args, **kwargs):
        noted["risk"] = real["_admission_risk"](*args, **kwargs)
        return noted["risk"]

    def death_or_notional(*args, **kwargs):
        noted["death"] = real["_death_or_notional_death"](*args, **kwargs)
        return noted["death"]

    def tidy(ctx, person, adm, dis, is_final, died_in_ed):
        # concatenated in that order: age-rate spells, the last year's, the final ones
        source = np.zeros(len(person), np.int64)
        n_age_rate = len(person) - noted["n_last_year"] - int(is_final.sum())
        source[n_age_rate:n_age_rate + noted["n_last_year"]] = 1
        source[is_final] = 2
        order = np.lexsort((~is_final, adm, person))
        p, a = person[order], adm[order]
        first = np.ones(len(p), bool)
        first[1:] = (p[1:] != p[:-1]) | (a[1:] != a[:-1])
        noted["source"] = source[order][first]
        return real["_tidy_spells"](ctx, person, adm, dis, is_final, died_in_ed)

    wrappers = {"_last_year_of_life": last_year_of_life,
                "_tidy_spells": tidy, "_admission_risk": admission_risk,
                "_death_or_notional_death": death_or_notional}
    try:
        for name, f in wrappers.items():
            setattr(em, name, f)
        lists = code_lists()
        rng = ctx.rng("hospital")
        cohort = _cohort(ctx, rng)
        spells, _ = em._emergency_spells(ctx, rng, cohort, lists)
    finally:
        for name, f in real.items():
            setattr(em, name, f)
    hf_codes = [i for i, c in enumerate(lists.diagnoses) if c.startswith("I50")]
    return (spells["person"], spells["adm"].astype(np.int64), np.isin(spells["diag"], hf_codes),
            noted["source"], noted["risk"], noted.get("death"), cohort)


def _band_years(dob, lo, hi, step=5, bands=BANDS) -> np.ndarray:
    """Person-years in each age band (rows: people, columns: bands) between days lo and hi
    (exclusive), bands of `step` years, the last open."""
    out = np.zeros((len(dob), bands))
    for b in range(bands):
        b0 = np.maximum(lo, dob + np.ceil(b * step * DAYS_PER_YEAR))
        b1 = hi if b == bands - 1 else np.minimum(hi, dob + np.ceil((b + 1) * step * DAYS_PER_YEAR))
        out[:, b] = np.maximum(b1 - b0, 0) / DAYS_PER_YEAR
    return out


def measure_seed(population: int, seed: int) -> dict:
    ctx = build_context(population, seed=seed)
    p = ctx.pop
    person, adm, hf_coded, source, risk, _, cohort = _spells_with_sources(ctx)
    hf = p.conditions["heart_failure"]
    on_reg = hf.recorded_on(person, adm)
    age = _ages(ctx, person, adm)
    group = np.searchsorted(GROUP_EDGES, age, side="right")
    background = _background_i50_share()[group]
    # as `_emergency_diagnoses` codes: the background draw, then each condition in the
    # person's record in turn takes its share of the spells, over whatever was drawn before
    # (so a later condition can take a spell coded to heart failure)
    life_band = np.minimum(np.searchsorted([16, 65], age, side="right"), 2)
    p_register = np.zeros(len(adm))
    p_background = background.copy()
    for name, (_, _, shares) in em.CONDITION_DIAGNOSES.items():
        if name not in p.conditions:
            continue
        hit = np.where(p.conditions[name].recorded_on(person, adm),
                       np.asarray(shares)[life_band], 0.0)
        p_background *= 1 - hit
        p_register *= 1 - hit
        if name == "heart_failure":
            p_register += hit
    expected = p_register + p_background
    start, ref = date_of(ctx.window_start), date_of(ctx.reference_date)
    n_years = ref.year - start.year
    ends = [day(start.replace(year=start.year + k + 1)) - 1 for k in range(n_years)]
    year = np.searchsorted(ends, adm, side="left")
    band = np.minimum(age // 5, BANDS - 1)
    out: dict = {k: np.zeros((n_years, BANDS)) for k in (
        "population", "hf_count", "expected", "exp_register", "exp_background_reg",
        "exp_background_not", "all", "py", "reg_py", "reg_adm", "reg_risk_py", "reg_grid_py")}
    for s in SOURCES:
        out[f"exp_{s}"] = np.zeros((n_years, BANDS))
        out[f"reg_adm_{s}"] = np.zeros((n_years, BANDS))
    # people: [start, end] in the record; register from the diagnosis until a resolution
    rec0, rec1 = cohort.start.astype(np.int64), cohort.end.astype(np.int64) + 1
    reg0 = np.maximum(rec0, hf.diagnosed.astype(np.int64))
    reg1 = np.where(hf.has, rec1, np.minimum(rec1, hf.resolved.astype(np.int64)))
    on = np.flatnonzero(hf.diagnosed != NO_DATE)
    dob = p.dob.astype(np.int64)
    for k in range(n_years):
        y0 = (ends[k - 1] + 1) if k else ctx.window_start
        y1 = ends[k] + 1
        d = ends[k]
        alive = (p.registration_start <= d) & (p.registration_end > d) & (p.death > d)
        out["population"][k] = np.bincount(np.minimum(p.age_on(d)[alive] // 5, BANDS - 1),
                                           minlength=BANDS)
        out["py"][k] = _band_years(dob, np.maximum(rec0, y0), np.minimum(rec1, y1)).sum(axis=0)
        reg_years = _band_years(dob[on], np.maximum(reg0[on], y0), np.minimum(reg1[on], y1))
        out["reg_py"][k] = reg_years.sum(axis=0)
        for d in range(y0, y1, RISK_GRID):  # the register's risk on every 28th day
            who = on[(reg0[on] <= d) & (reg1[on] > d)]
            b = np.minimum(p.age_on(d)[who] // 5, BANDS - 1)
            days = np.full(len(who), d, np.int64)
            value = risk[1](who, days) if isinstance(risk, tuple) else risk[who]
            out["reg_risk_py"][k] += np.bincount(b, value, BANDS)
            out["reg_grid_py"][k] += np.bincount(b, minlength=BANDS)
        yk = year == k
        for key, values in (("hf_count", hf_coded), ("expected", expected),
                            ("exp_register", p_register),
                            ("exp_background_reg", p_background * on_reg),
                            ("exp_background_not", p_background * ~on_reg),
                            ("all", np.ones(len(adm))), ("reg_adm", on_reg)):
            out[key][k] = np.bincount(band[yk], values[yk], BANDS)
        for i, s in enumerate(SOURCES):
            m = yk & (source == i)
            out[f"exp_{s}"][k] = np.bincount(band[m], expected[m], BANDS)
            out[f"reg_adm_{s}"][k] = np.bincount(band[m], on_reg[m], BANDS)
    # per-person shares for the clustered interval: each spell's weight in its year's DSR
    out = {k: v.tolist() for k, v in out.items()}
    first, last = year == 0, year == n_years - 1
    out["_cluster"] = {"person": (seed * 10**8 + person[first | last]).tolist(),
                       "last": last[first | last].tolist(),
                       "band": band[first | last].tolist(),
                       "hf": hf_coded[first | last].astype(float).tolist(),
                       "expected": expected[first | last].tolist()}
    out["window_start"], out["reference_date"] = str(start), str(ref)
    return out


def pool(runs: list[dict]) -> dict:
    keys = [k for k in runs[0] if not k.startswith("_") and isinstance(runs[0][k], list)]
    pooled = {k: np.sum([np.asarray(r[k]) for r in runs], axis=0) for k in keys}
    cluster = {k: np.concatenate([np.asarray(r["_cluster"][k]) for r in runs])
               for k in runs[0]["_cluster"]}
    return {"pooled": pooled, "cluster": cluster}


def _dsr(counts: np.ndarray, population: np.ndarray) -> np.ndarray:
    w = np.asarray(esp2013())
    return 100_000 * (counts / population * w).sum(axis=-1) / w.sum()


def _ratio_interval(pooled, cluster, column: str) -> tuple[float, float, float]:
    """last / first of the DSR of `column` ('hf' or 'expected'), with its 95% interval
    clustered by person."""
    w = np.asarray(esp2013())
    pop = pooled["population"]
    last = cluster["last"].astype(bool)
    band = cluster["band"].astype(np.int64)
    value = cluster[column]
    weight = np.where(last, w[band] / pop[-1, band], w[band] / pop[0, band]) * 100_000 / w.sum()
    d0 = (weight * value)[~last].sum()
    d1 = (weight * value)[last].sum()
    share = np.where(last, weight * value / d1, -weight * value / d0)
    _, who = np.unique(cluster["person"], return_inverse=True)
    se = np.sqrt(np.sum(np.bincount(who, share) ** 2))
    r = d1 / d0
    return r, r * np.exp(-1.96 * se), r * np.exp(1.96 * se)


def report(result: dict, against: dict | None = None) -> None:
    p, c = result["pooled"], result["cluster"]
    pop = p["population"]
    n = len(pop)
    print(f"{'per year of the window':>34} " + " ".join(f"{'y' + str(k + 1):>8}" for k in range(n))
          + "  last/first")

    def line(name, values, fmt="8.1f"):
        values = np.asarray(values, float)
        print(f"{name:>34} " + " ".join(f"{v:{fmt}}" for v in values)
              + f"  {values[-1] / values[0] - 1:+7.1%}")

    line("HF-coded admissions (count)", p["hf_count"].sum(axis=1), "8.0f")
    line("HF-coded DSR per 100,000", _dsr(p["hf_count"], pop))
    line("expected HF-coded DSR", _dsr(p["expected"], pop))
    for key, name in (("exp_register", "  register (condition's share)"),
                      ("exp_background_reg", "  background I500, on register"),
                      ("exp_background_not", "  background I500, not on it"),
                      ("exp_age_rate", "  age-rate spells"),
                      ("exp_last_year", "  last-year-of-life spells"),
                      ("exp_final", "  final spells")):
        line(name, _dsr(p[key], pop))
    for column, name in (("hf", "HF-coded DSR"), ("expected", "expected HF-coded DSR")):
        r, lo, hi = _ratio_interval(p, c, column)
        print(f"{name}, last/first: {r - 1:+.1%} (95% CI {lo - 1:+.1%} to {hi - 1:+.1%})")
    print("\nby age band (age at admission; person-years on the day):")
    groups = {"45-64": range(9, 13), "65-74": range(13, 15), "75-84": range(15, 17),
              "85+": range(17, 19)}
    for name, rows in groups.items():
        rows = list(rows)
        print(f" {name}")
        line("register prevalence (% of PY)", 100 * p["reg_py"][:, rows].sum(1)
             / p["py"][:, rows].sum(1), "8.3f")
        line("register adm per 1,000 reg PY", 1000 * p["reg_adm"][:, rows].sum(1)
             / p["reg_py"][:, rows].sum(1))
        for s in SOURCES:
            line(f"  {s} per 1,000 reg PY", 1000 * p[f"reg_adm_{s}"][:, rows].sum(1)
                 / p["reg_py"][:, rows].sum(1))
        line("register mean risk", p["reg_risk_py"][:, rows].sum(1)
             / p["reg_grid_py"][:, rows].sum(1), "8.3f")
        line("expected HF-coded per 1,000 PY", 1000 * p["expected"][:, rows].sum(1)
             / p["py"][:, rows].sum(1), "8.3f")
        line("all-cause per 1,000 PY", 1000 * p["all"][:, rows].sum(1)
             / p["py"][:, rows].sum(1))
    print("\nall-cause emergency admissions per 1,000 person-years, five-year age (pooled years)")
    for b in range(9, BANDS):
        rate = 1000 * p["all"][:, b].sum() / p["py"][:, b].sum()
        extra = ""
        if against is not None:
            a = against["pooled"]
            base = 1000 * np.sum(a["all"][:, b]) / np.sum(a["py"][:, b])
            extra = f"  against before {rate / base - 1:+.1%} (n {p['all'][:, b].sum():.0f})"
        print(f"{5 * b:>6}{'+' if b == BANDS - 1 else '-' + str(5 * b + 4):<4} {rate:8.1f}{extra}")


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=300_000)
    parser.add_argument("--seeds", default="1-5", help="e.g. 1-10 or 1,3,5")
    parser.add_argument("--json", type=pathlib.Path, help="write the pooled figures here")
    parser.add_argument("--against", type=pathlib.Path, help="an earlier run's --json")
    args = parser.parse_args()
    runs = []
    for seed in _seeds(args.seeds):
        started = dt.datetime.now()
        runs.append(measure_seed(args.population, seed))
        print(f"seed {seed}: {(dt.datetime.now() - started).total_seconds():.0f} s", flush=True)
    result = pool(runs)
    if args.json:
        args.json.write_text(json.dumps(
            {"pooled": {k: v.tolist() for k, v in result["pooled"].items()},
             "cluster": {k: v.tolist() for k, v in result["cluster"].items()}}))
    against = None
    if args.against:
        raw = json.loads(args.against.read_text())
        against = {"pooled": {k: np.asarray(v) for k, v in raw["pooled"].items()}}
    report(result, against)


if __name__ == "__main__":
    main()
