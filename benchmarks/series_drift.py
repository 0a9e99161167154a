"""Measure how each indicator's monthly series drifts over a build (issue 11).

A synthetic lake should hold every figure steady unless the generator models a published trend
for it on purpose. This reads a build's `indicator_values.parquet` at ICB level (the
`breakdown == "icb"` rows: one value per indicator and month) and compares the mean of the
first twelve month ends with the mean of the last twelve. A rolling 12-month figure measured
at monthly steps is smooth, so comparing whole years rather than two single months keeps the
seasonal steps of a figure such as flu vaccination out of the comparison.

    PYTHONPATH=src python benchmarks/series_drift.py --results RESULTS [--min-change 0.05]

RESULTS is a build's folder (`icsight build --out RESULTS`); its latest build is read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

#: Months averaged at each end of the series.
YEAR = 12


def icb_series(values: pd.DataFrame) -> pd.DataFrame:
    """The ICB-level value of every indicator at every month end, one column per indicator."""
    icb = values[values["breakdown"] == "icb"]
    return (icb.pivot_table(index="period_end", columns="indicator_id", values="value",
                            aggfunc="first").sort_index())


def series_drift(values: pd.DataFrame, months: int = YEAR) -> pd.DataFrame:
    """Per indicator: the mean of its first `months` ICB values, of its last `months`, and the
    relative change between them (NaN when the first mean is zero). Indicators with fewer than
    two full years of values are left out: the two means would overlap."""
    series = icb_series(values)
    rows = []
    for indicator_id in series.columns:
        s = series[indicator_id].dropna()
        if len(s) < 2 * months:
            continue
        first, last = float(s.iloc[:months].mean()), float(s.iloc[-months:].mean())
        change = (last - first) / abs(first) if first else float("nan")
        rows.append({"indicator_id": indicator_id, "first_year": first, "last_year": last,
                     "change": change})
    out = pd.DataFrame(rows, columns=["indicator_id", "first_year", "last_year", "change"])
    return out.set_index("indicator_id")


def latest_build(results: Path) -> Path:
    """The folder of the latest build in a results store (its `LATEST` names it)."""
    latest = results / "LATEST"
    if latest.exists():
        return results / latest.read_text().strip()
    return max(p for p in results.iterdir() if p.is_dir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, required=True, help="a build's results folder")
    parser.add_argument("--min-change", type=float, default=0.0,
                        help="list only indicators whose relative change is at least this")
    args = parser.parse_args()
    build = latest_build(args.results)
    drift = series_drift(pd.read_parquet(build / "indicator_values.parquet"))
    drift = drift[drift["change"].abs().fillna(float("inf")) >= args.min_change]
    drift = drift.reindex(drift["change"].abs().sort_values(ascending=False).index)
    print(f"{build}: first-year vs last-year mean at ICB level, {len(drift)} indicators")
    print(f"{'indicator':<28} {'first year':>12} {'last year':>12} {'change':>8}")
    for indicator_id, r in drift.iterrows():
        print(f"{indicator_id:<28} {r.first_year:12.3f} {r.last_year:12.3f} {r.change:+8.1%}")


if __name__ == "__main__":
    main()
