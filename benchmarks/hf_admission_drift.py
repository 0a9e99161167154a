"""Emergency admissions of the heart failure register, and all-cause, year by year over a lake's
window (issue 11, point 1): do they hold, or drift?

Counted from the lakes' parquet files with DuckDB, pooled over the lakes given, for each of
the window's years (to its reference date's day and month):

* (i) emergency admissions per 1,000 person-years on the heart failure register at 65-74,
  75-84 and 85+ (age at admission and on each day of the person-time);
* (ii) all-cause emergency admissions per 1,000 person-years by five-year age group;
* (iii) emergency admissions coded to heart failure (primary diagnosis I50), per 1,000
  person-years of everyone at 65-74, 75-84 and 85+;
* (iv) the same admissions as HF_ADM_DSR counts them, for each year of the window: those of
  people registered at the admission, by five-year age band at admission, per 100,000
  registered on the year's last day, directly standardised to ESP2013; split into admissions
  of people on the lake's register at the admission and the rest, and into the final spells
  (discharged dead), the other admissions in the last year of a life ending in the window and
  the rest. The 95% interval of the last year's DSR against the first's is clustered by
  person (a person's repeated admissions are not independent events): the variance of the
  log ratio is the sum over people of (their share of the last year's DSR - their share of
  the first's) squared.

Person-time is each person's days registered and alive (the calibration's rule:
registration_start <= day < registration_end, day < date of death); on the register from the
first hf_cod code until a later hfres_cod one. Ages are whole years from the month of birth
(the lake's only date of birth), a birthday on the first of the month.

    PYTHONPATH=src python benchmarks/hf_admission_drift.py /tmp/hf1 /tmp/hf2 --json out.json
    PYTHONPATH=src python benchmarks/hf_admission_drift.py /tmp/af1 --against out.json

Lakes: `icsight synth --population 300000 --seed N --out /tmp/hfN`, one at a time.

`--against` prints each figure's ratio to the same figure in an earlier run's JSON (the
all-cause rates of a changed generator against main's, say).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib

import duckdb
import numpy as np

from icsight.model.codelists import codelist
from icsight.stats.rates import esp2013

BANDS = {"65-74": (65, 75), "75-84": (75, 85), "85+": (85, 200)}
GROUPS = [(a, a + 5) for a in range(0, 90, 5)] + [(90, 200)]


def _days(column) -> np.ndarray:
    """DATE values (numpy datetime64[D] or NaT) as day numbers; NaT becomes a far future day."""
    values = np.asarray(column, "datetime64[D]")
    out = values.astype(np.int64)
    return np.where(np.isnat(values), 10**7, out)


def _birthday(mob_year, mob_month, age) -> np.ndarray:
    """Day number of the first day of the month in which a person born in that month turns
    `age` (their whole-year age changes then)."""
    months = (mob_year + age) * 12 + (mob_month - 1)
    return (np.datetime64("0000-01", "M") + months.astype("timedelta64[M]")).astype(
        "datetime64[D]").astype(np.int64)


def _lake(folder: pathlib.Path):
    con = duckdb.connect()
    a = folder / "analytics"
    hf = ",".join(repr(c) for c in codelist("hf_cod").codes)
    res = ",".join(repr(c) for c in codelist("hfres_cod").codes)
    people = con.sql(f"""
        WITH d AS (SELECT patient_id, min(date) AS diagnosed FROM '{a}/clinical_events.parquet'
                   WHERE snomed_code IN ({hf}) GROUP BY ALL),
             r AS (SELECT e.patient_id, min(e.date) AS resolved
                   FROM '{a}/clinical_events.parquet' e JOIN d USING (patient_id)
                   WHERE e.snomed_code IN ({res}) AND e.date > d.diagnosed GROUP BY ALL)
        SELECT p.patient_id, year(month_of_birth) AS y0, month(month_of_birth) AS m0,
               registration_start, registration_end, date_of_death, diagnosed, resolved
        FROM '{a}/patients.parquet' p LEFT JOIN d USING (patient_id)
        LEFT JOIN r USING (patient_id) ORDER BY patient_id""").df()
    spells = con.sql(f"""
        SELECT patient_id, admission_date, primary_diagnosis LIKE 'I50%' AS hf_coded,
               coalesce(discharge_destination = 'died', false) AS final
        FROM '{a}/apc_spells.parquet' WHERE admission_method = 'emergency'""").df()
    manifest = json.loads((folder / "manifest.json").read_text())
    return people, spells, manifest


def measure(folders: list[pathlib.Path]) -> dict:
    """Counts and person-years per year of the window, summed over the lakes."""
    out: dict = {}
    dsr: dict = {"events": [], "population": None}
    for lake_no, folder in enumerate(folders):
        people, spells, manifest = _lake(folder)
        start = dt.date.fromisoformat(manifest["window_start"])
        ref = dt.date.fromisoformat(manifest["reference_date"])
        y0, m0 = people.y0.to_numpy(), people.m0.to_numpy()
        reg_s = _days(people.registration_start)
        reg_e = _days(people.registration_end)
        death = _days(people.date_of_death)
        diag, resolved = _days(people.diagnosed), _days(people.resolved)
        live_to = np.minimum(reg_e, death)  # first day not counted
        index = {pid: i for i, pid in enumerate(people.patient_id.tolist())}
        who = np.array([index[i] for i in spells.patient_id.tolist()], np.int64)
        adm = _days(spells.admission_date)
        adm_dt = np.asarray(spells.admission_date, "datetime64[D]")
        adm_y = adm_dt.astype("datetime64[Y]").astype(np.int64) + 1970
        adm_m = adm_dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
        age = adm_y - y0[who] - (adm_m < m0[who])
        on_reg = (diag[who] <= adm) & (adm < resolved[who])
        hf_coded = spells.hf_coded.to_numpy(bool)
        n_years = ref.year - start.year
        _dsr_lake(dsr, lake_no, start, n_years, people, spells, who, adm, age, on_reg)
        for k in range(n_years):
            ys = np.datetime64(start.replace(year=start.year + k)).astype(np.int64)
            ye = np.datetime64(start.replace(year=start.year + k + 1)).astype(np.int64)
            year = out.setdefault(str(k + 1), {"from": str(start.replace(year=start.year + k)),
                                               "register": {}, "all": {}, "hf_coded": {}})
            in_year = (adm >= ys) & (adm < ye)
            a0 = np.maximum(ys, reg_s)
            a1 = np.minimum(ye, live_to)
            r0, r1 = np.maximum(a0, diag), np.minimum(a1, resolved)

            for name, (lo, hi) in BANDS.items():
                at = in_year & (age >= lo) & (age < hi)
                _add(year, "register", name, (at & on_reg).sum(),
                     _person_years(y0, m0, r0, r1, (lo, hi)))
                _add(year, "hf_coded", name, (at & hf_coded).sum(),
                     _person_years(y0, m0, a0, a1, (lo, hi)))
            for lo, hi in GROUPS:
                name = f"{lo}-{hi - 1}" if hi < 200 else f"{lo}+"
                at = in_year & (age >= lo) & (age < hi)
                _add(year, "all", name, at.sum(), _person_years(y0, m0, a0, a1, (lo, hi)))
    out["dsr"] = _dsr_figures(dsr)
    return out


ESP_BANDS = 19  # 0-4, 5-9, ..., 85-89, 90+
PARTS = ("register", "not_register", "final", "last_year", "other")


def _dsr_lake(dsr: dict, lake_no: int, start: dt.date, n_years: int, people, spells, who,
              adm, age, on_reg) -> None:
    """One lake's HF-coded admissions of registered people (year, band, person, parts) and its
    registered population on each year's last day by band (added to `dsr`)."""
    y0, m0 = people.y0.to_numpy(), people.m0.to_numpy()
    reg_s, reg_e = _days(people.registration_start), _days(people.registration_end)
    death = _days(people.date_of_death)
    ends = [np.datetime64(start.replace(year=start.year + k + 1)).astype(np.int64) - 1
            for k in range(n_years + 1)]
    population = np.zeros((n_years, ESP_BANDS))
    for k in range(n_years):
        d = ends[k]
        alive = (reg_s <= d) & (reg_e > d) & (death > d)
        d_dt = np.datetime64(int(d), "D")
        year = d_dt.astype("datetime64[Y]").astype(np.int64) + 1970
        month = d_dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
        a = year - y0 - (month < m0)
        population[k] = np.bincount(np.minimum(a[alive] // 5, ESP_BANDS - 1), minlength=ESP_BANDS)
    dsr["population"] = population if dsr["population"] is None else dsr["population"] + population
    hf = spells.hf_coded.to_numpy(bool)
    registered = (reg_s[who] <= adm) & (reg_e[who] >= adm) & (death[who] >= adm)
    first = np.datetime64(start).astype(np.int64)
    year = np.searchsorted(np.array(ends), adm, side="left")
    pick = hf & registered & (adm >= first) & (year < n_years)
    final = spells.final.to_numpy(bool)
    last_year = (death[who] - adm <= 365) & (death[who] < 10**7) & ~final
    for k in np.flatnonzero(pick):
        dsr["events"].append((int(year[k]), int(min(age[k] // 5, ESP_BANDS - 1)),
                              lake_no * 10**7 + int(who[k]), bool(on_reg[k]), bool(final[k]),
                              bool(last_year[k])))


def _dsr_figures(dsr: dict) -> dict:
    """Pooled DSR per year, its parts, and the clustered 95% interval of last / first."""
    w = np.asarray(esp2013())
    pop = dsr["population"]
    ev = np.array(dsr["events"], dtype=np.int64).reshape(-1, 6)
    n_years = len(pop)
    weight = w[ev[:, 1]] / w.sum() / pop[ev[:, 0], ev[:, 1]] * 100_000
    figures = {"count": [], "dsr": [], "crude_by_band": [], "parts": {k: [] for k in PARTS}}
    masks = {"register": ev[:, 3] == 1, "not_register": ev[:, 3] == 0,
             "final": ev[:, 4] == 1, "last_year": ev[:, 5] == 1,
             "other": (ev[:, 4] == 0) & (ev[:, 5] == 0)}
    for k in range(n_years):
        yk = ev[:, 0] == k
        figures["count"].append(int(yk.sum()))
        figures["dsr"].append(float(weight[yk].sum()))
        figures["crude_by_band"].append(
            [[int(np.sum(yk & (ev[:, 1] == b))), float(pop[k, b])] for b in range(ESP_BANDS)])
        for name, mask in masks.items():
            figures["parts"][name].append(float(weight[yk & mask].sum()))
    # person-clustered variance of log(DSR_last / DSR_first)
    d0, d1 = figures["dsr"][0], figures["dsr"][-1]
    share = np.where(ev[:, 0] == n_years - 1, weight / d1, 0) - np.where(
        ev[:, 0] == 0, weight / d0, 0)
    _, person = np.unique(ev[:, 2], return_inverse=True)
    by_person = np.bincount(person, share)
    se = float(np.sqrt(np.sum(by_person**2)))
    poisson_se = float(np.sqrt(np.sum(np.where(ev[:, 0] == n_years - 1, weight / d1, 0) ** 2)
                               + np.sum(np.where(ev[:, 0] == 0, weight / d0, 0) ** 2)))
    ratio = d1 / d0
    figures["last_over_first"] = [ratio, ratio * np.exp(-1.96 * se), ratio * np.exp(1.96 * se)]
    figures["se_log_ratio"], figures["poisson_se_log_ratio"] = se, poisson_se
    return figures


def _person_years(y0, m0, lo, hi, ages) -> float:
    """Person-years between days `lo` and `hi` (exclusive) spent at `ages` (from, to)."""
    b0 = np.maximum(lo, _birthday(y0, m0, ages[0]))
    b1 = np.minimum(hi, _birthday(y0, m0, min(ages[1], 150)))
    return float(np.maximum(b1 - b0, 0).sum()) / 365.25


def _add(year: dict, kind: str, name: str, admissions, years: float) -> None:
    cell = year[kind].setdefault(name, [0, 0.0])
    cell[0] += int(admissions)
    cell[1] += years


def _rate(cell) -> float:
    return 1000 * cell[0] / cell[1] if cell[1] else float("nan")


def report(figures: dict, against: dict | None = None) -> None:
    years = sorted((y for y in figures if y.isdigit()), key=int)
    titles = {"register": "(i) emergency admissions per 1,000 person-years, HF register",
              "all": "(ii) all-cause emergency admissions per 1,000 person-years",
              "hf_coded": "(iii) HF-coded (I50) emergency admissions per 1,000 person-years"}
    for kind, title in titles.items():
        if kind not in figures[years[0]]:
            continue
        print(f"\n{title}")
        print(f"{'ages':>8} " + " ".join(f"{'y' + y + ' ' + figures[y]['from'][:7]:>17}"
                                         for y in years) + f" {'last/first':>10}"
              + (f" {'vs before (all years)':>22}" if against else ""))
        for name in figures[years[0]][kind]:
            rates = [_rate(figures[y][kind][name]) for y in years]
            n = [figures[y][kind][name][0] for y in years]
            line = f"{name:>8} " + " ".join(f"{r:8.1f} ({c:>6})"
                                            for r, c in zip(rates, n, strict=True))
            line += f" {rates[-1] / rates[0] - 1:+10.1%}"
            if against:
                mine = [figures[y][kind][name] for y in years]
                theirs = [against[y][kind][name] for y in years]
                rate = sum(c[0] for c in mine) / sum(c[1] for c in mine)
                base = sum(c[0] for c in theirs) / sum(c[1] for c in theirs)
                line += f" {rate / base - 1:+22.1%}"
            print(line)
    if "dsr" in figures:
        _report_dsr(figures["dsr"], (against or {}).get("dsr"))


def _report_dsr(d: dict, against: dict | None) -> None:
    n = len(d["dsr"])
    print("\n(iv) HF-coded (I50) emergency admissions, DSR per 100,000 (ESP2013), by year")
    print(f"{'':>14} " + " ".join(f"{'y' + str(k + 1):>8}" for k in range(n)))
    print(f"{'count':>14} " + " ".join(f"{c:8d}" for c in d["count"]))
    print(f"{'DSR':>14} " + " ".join(f"{v:8.1f}" for v in d["dsr"]))
    for name, values in d["parts"].items():
        print(f"{name:>14} " + " ".join(f"{v:8.1f}" for v in values))
    r, lo, hi = d["last_over_first"]
    print(f"last/first {r - 1:+.1%} (95% CI {lo - 1:+.1%} to {hi - 1:+.1%}; clustered SE of the "
          f"log ratio {d['se_log_ratio']:.4f}, {d['poisson_se_log_ratio']:.4f} if independent)")
    bands = {"45-64": range(9, 13), "65-74": range(13, 15), "75-84": range(15, 17),
             "85+": range(17, 19)}
    print("crude per 100,000 registered at the year's end, by age at admission:")
    for name, rows in bands.items():
        rates = [sum(y[b][0] for b in rows) / sum(y[b][1] for b in rows) * 100_000
                 for y in d["crude_by_band"]]
        counts = [sum(y[b][0] for b in rows) for y in d["crude_by_band"]]
        print(f"{name:>14} " + " ".join(f"{v:8.1f}" for v in rates)
              + f"  last/first {rates[-1] / rates[0] - 1:+.1%}  counts {counts}")
    if against:
        print(f"mean DSR over the years against before: "
              f"{sum(d['dsr']) / sum(against['dsr']) - 1:+.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lakes", nargs="+", type=pathlib.Path)
    parser.add_argument("--json", type=pathlib.Path, help="write the pooled counts here")
    parser.add_argument("--against", type=pathlib.Path, help="an earlier run's --json")
    args = parser.parse_args()
    figures = measure(args.lakes)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    report(figures, json.loads(args.against.read_text()) if args.against else None)


if __name__ == "__main__":
    main()
