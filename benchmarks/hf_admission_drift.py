"""Emergency admissions of the heart failure register, and all-cause, year by year over a lake's
window (issue 11, point 1): do they hold, or drift?

Counted from the lakes' parquet files with DuckDB, pooled over the lakes given, for each of
the window's years (to its reference date's day and month):

* (i) emergency admissions per 1,000 person-years on the heart failure register at 65-74,
  75-84 and 85+ (age at admission and on each day of the person-time);
* (ii) all-cause emergency admissions per 1,000 person-years by five-year age group;
* (iii) emergency admissions coded to heart failure (primary diagnosis I50), per 1,000
  person-years of everyone at 65-74, 75-84 and 85+.

Person-time is each person's days registered and alive (the calibration's rule:
registration_start <= day < registration_end, day < date of death); on the register from the
first hf_cod code until a later hfres_cod one. Ages are whole years from the month of birth
(the lake's only date of birth), a birthday on the first of the month.

    PYTHONPATH=src python benchmarks/hf_admission_drift.py /tmp/hf1 /tmp/hf2 --json out.json
    PYTHONPATH=src python benchmarks/hf_admission_drift.py /tmp/af1 --against out.json

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
        SELECT patient_id, admission_date, primary_diagnosis LIKE 'I50%' AS hf_coded
        FROM '{a}/apc_spells.parquet' WHERE admission_method = 'emergency'""").df()
    manifest = json.loads((folder / "manifest.json").read_text())
    return people, spells, manifest


def measure(folders: list[pathlib.Path]) -> dict:
    """Counts and person-years per year of the window, summed over the lakes."""
    out: dict = {}
    for folder in folders:
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
    return out


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
    years = sorted(figures, key=int)
    titles = {"register": "(i) emergency admissions per 1,000 person-years, HF register",
              "all": "(ii) all-cause emergency admissions per 1,000 person-years",
              "hf_coded": "(iii) HF-coded (I50) emergency admissions per 1,000 person-years"}
    for kind, title in titles.items():
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
