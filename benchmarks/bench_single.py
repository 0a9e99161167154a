"""Benchmark: one indicator at one date with every breakdown, against hand-written DuckDB SQL.

Issue 10's budget: `Indicator.compute(lake, date)` (every breakdown, values and 95% limits)
costs at most 1.5 times a hand-written DuckDB query of the same definition run in the same
process on the same connection (the query also gives every breakdown's numerator and
denominator, with GROUPING SETS). Both are timed warm: one untimed run each, then the median
of `--repeat` runs, alternating so that other work on the machine slows both alike; wall
seconds, and CPU seconds of the process (every thread, DuckDB's too: the fairer figure when
other jobs share the cores), with the load average at the end. The report also says
whether the two agree on every breakdown's numerator and denominator.

    .venv/bin/python benchmarks/bench_single.py --lake data/blmk [--date 2026-09-30]
        [--repeat 5] [--id CVDP007HYP --id CVDP001HYP ...]

The SQL below is written from the published definitions (CVDPREVENT's CVDP007HYP, CVDP004HYP
and CVDP001HYP), not from icsight's query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

BUDGET_RATIO = 1.5

#: every breakdown as a grouping set: (breakdown, the column it groups by)
SETS = (("icb", None), ("place", "place"), ("pcn", "pcn_code"), ("practice", "practice_code"),
        ("imd_quintile", "imd_quintile"), ("imd_decile", "imd_decile"), ("core20", "core20"),
        ("ethnicity_group", "ethnicity_group"), ("age_band", "age_band"), ("sex", "sex"))


def _in(codes: list[str]) -> str:
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"


def _age(day: str) -> str:
    return (f"(year({day}) - year(p.month_of_birth) "
            f"- CASE WHEN month(p.month_of_birth) > month({day}) THEN 1 ELSE 0 END)")


def _registered(day: str) -> str:
    return (f"p.registration_start <= {day} "
            f"AND (p.registration_end IS NULL OR p.registration_end > {day}) "
            f"AND (p.date_of_death IS NULL OR p.date_of_death > {day})")


def _register(day: str) -> str:
    """QOF hypertension register on `day`: latest HYP_COD after the latest HYPRES_COD."""
    from icsight.model.codelists import codelist

    hyp, res = codelist("hyp_cod").codes, codelist("hypres_cod").codes
    return f"""
      SELECT patient_id FROM clinical_events
      WHERE date <= {day} AND snomed_code IN {_in(hyp + res)}
      GROUP BY patient_id
      HAVING max(CASE WHEN snomed_code IN {_in(hyp)} THEN date END) IS NOT NULL
         AND (max(CASE WHEN snomed_code IN {_in(res)} THEN date END) IS NULL
              OR max(CASE WHEN snomed_code IN {_in(hyp)} THEN date END)
                 > max(CASE WHEN snomed_code IN {_in(res)} THEN date END))"""


def _hypertension_rows(day: dt.date, outcome: str) -> str:
    """CVDP007HYP (treated to the age- and setting-appropriate threshold) or CVDP004HYP (a
    BP in the last 12 months): patients 18+ on the register, their last valid BP in the 12
    months to `day` (the day's lowest systolic and diastolic, a home reading when every
    reading that day was)."""
    from icsight.model.codelists import codelist, home_diastolic_bp, home_systolic_bp

    d = f"DATE '{day}'"
    start = f"CAST({d} - INTERVAL 1 YEAR AS DATE)"  # 29 February: the 28th
    home_rules = "true" if day >= dt.date(2024, 6, 30) else "false"

    def daily(name: str, minimum: int, home: list[str]) -> str:
        return f"""
          SELECT patient_id, date, min(numeric_value) AS v,
                 bool_and(snomed_code IN {_in(home)}) AS home
          FROM clinical_events
          WHERE snomed_code IN {_in(codelist(name).codes)} AND numeric_value >= {minimum}
            AND date > {start} AND date <= {d}
          GROUP BY patient_id, date"""

    hit = ("last.sys IS NOT NULL" if outcome == "recorded" else
           f"""coalesce(last.sys <= CASE
                 WHEN last.home AND {home_rules} AND age >= 80 THEN 145
                 WHEN last.home AND {home_rules} THEN 135
                 WHEN age >= 80 THEN 150 ELSE 140 END
               AND last.dia <= CASE WHEN last.home AND {home_rules} THEN 85 ELSE 90 END,
               false)""")
    return f"""
      WITH reg AS ({_register(d)}),
      people AS (
        SELECT p.patient_id, p.practice_code, p.lsoa_code, p.sex, p.ethnicity_group,
               {_age(d)} AS age
        FROM patients p JOIN reg USING (patient_id)
        WHERE {_registered(d)} AND {_age(d)} >= 18),
      s AS ({daily("systolic_bp_qof", 50, home_systolic_bp().codes)}),
      di AS ({daily("diastolic_bp_qof", 20, home_diastolic_bp().codes)}),
      last AS (
        SELECT s.patient_id, s.v AS sys, di.v AS dia, s.home AND di.home AS home
        FROM s JOIN di USING (patient_id, date)
        QUALIFY row_number() OVER (PARTITION BY s.patient_id ORDER BY date DESC) = 1)
      SELECT people.*, {hit} AS num
      FROM people LEFT JOIN last USING (patient_id)"""


def _prevalence_rows(day: dt.date) -> str:
    """CVDP001HYP: registered patients 18+, on the hypertension register or not."""
    d = f"DATE '{day}'"
    return f"""
      WITH reg AS ({_register(d)})
      SELECT p.practice_code, p.lsoa_code, p.sex, p.ethnicity_group, {_age(d)} AS age,
             reg.patient_id IS NOT NULL AS num
      FROM patients p LEFT JOIN reg USING (patient_id)
      WHERE {_registered(d)} AND {_age(d)} >= 18"""


QUERIES = {
    "CVDP007HYP": lambda day: _hypertension_rows(day, "treated"),
    "CVDP004HYP": lambda day: _hypertension_rows(day, "recorded"),
    "CVDP001HYP": _prevalence_rows,
}


def sql(indicator_id: str, day: dt.date) -> str:
    """The indicator's rows counted by every breakdown in one query."""
    columns = [c for _, c in SETS if c]
    sets = ", ".join("()" if c is None else f"({c})" for _, c in SETS)
    return f"""
      WITH r AS ({QUERIES[indicator_id](day)})
      SELECT GROUPING({", ".join(columns)}) AS g, {", ".join(columns)},
             sum(num::INT) AS numerator, count(*) AS denominator,
             100.0 * sum(num::INT) / count(*) AS value
      FROM (SELECT r.*, pr.pcn_code, pr.place, l.imd_quintile, l.imd_decile,
                   CASE WHEN l.imd_quintile = 1 THEN 'CORE20'
                        WHEN l.imd_quintile IS NOT NULL THEN 'Rest' END AS core20,
                   CASE WHEN age <= 17 THEN '0-17' WHEN age <= 39 THEN '18-39'
                        WHEN age <= 59 THEN '40-59' WHEN age <= 79 THEN '60-79'
                        ELSE '80+' END AS age_band
            FROM r LEFT JOIN practices pr USING (practice_code)
                   LEFT JOIN lsoas l USING (lsoa_code))
      GROUP BY GROUPING SETS ({sets})"""


def _as_cells(frame) -> dict:
    """{(breakdown, group): (numerator, denominator)} from the SQL result."""
    columns = [c for _, c in SETS if c]
    out = {}
    for row in frame.itertuples(index=False):
        row = row._asdict()
        kept = [c for i, c in enumerate(columns) if not (row["g"] >> (len(columns) - 1 - i)) & 1]
        if not kept:
            out[("icb", "BLMK")] = (int(row["numerator"]), int(row["denominator"]))
            continue
        breakdown = next(b for b, c in SETS if c == kept[0])
        group = row[kept[0]]
        if group is None or group != group:
            continue
        out[(breakdown, str(int(group)) if isinstance(group, float) else str(group))] = (
            int(row["numerator"]), int(row["denominator"]))
    return out


def _seconds(f) -> tuple[float, float]:
    """Wall and CPU seconds of `f()` (CPU: every thread of this process, DuckDB's too, so on
    a shared machine the fairer comparison)."""
    started, cpu = time.perf_counter(), time.process_time()
    f()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--date", default=None, help="period end (default: the lake's last day)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--id", dest="ids", action="append", choices=sorted(QUERIES))
    args = parser.parse_args()

    from icsight.engine import open_lake
    from icsight.indicators.catalogue import indicator

    lake = open_lake(args.lake)
    day = dt.date.fromisoformat(args.date or lake.reference_date)
    report = {"lake": str(args.lake), "population_target": lake.manifest.get(
        "population_target"), "date": day.isoformat(), "repeat": args.repeat, "indicators": {}}
    for indicator_id in args.ids or sorted(QUERIES):
        ind, query = indicator(indicator_id), sql(indicator_id, day)
        ours, hand = [], []
        tidy = ind.compute(lake, day)  # warm-up runs, kept to compare the counts
        by_hand = lake.sql(query)
        for _ in range(args.repeat):  # alternate, so background load hits both alike
            ours.append(_seconds(lambda: ind.compute(lake, day)))  # noqa: B023
            hand.append(_seconds(lambda: lake.sql(query)))  # noqa: B023
        mine = {(r.breakdown, r.group): (int(r.numerator), int(r.denominator))
                for r in tidy.itertuples(index=False)}
        wall = [statistics.median(w for w, _ in runs) for runs in (ours, hand)]
        cpu = [statistics.median(c for _, c in runs) for runs in (ours, hand)]
        ratio = wall[0] / wall[1]
        report["indicators"][indicator_id] = {
            "icsight_seconds": round(wall[0], 3), "sql_seconds": round(wall[1], 3),
            "ratio": round(ratio, 2), "within_budget": ratio <= BUDGET_RATIO,
            "icsight_cpu_seconds": round(cpu[0], 3), "sql_cpu_seconds": round(cpu[1], 3),
            "cpu_ratio": round(cpu[0] / cpu[1], 2),
            "cells": len(mine), "agree": mine == _as_cells(by_hand)}
    report["budget_ratio"] = BUDGET_RATIO
    report["load_average_at_end"] = list(os.getloadavg())
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
