"""Measure how each indicator's monthly series drifts over a build (issue 11).

A synthetic lake should hold every figure steady unless the generator models a published trend
for it on purpose. This reads a build's `indicator_values.parquet` at ICB level (the
`breakdown == "icb"` rows: one value per indicator and month) and compares the mean of the
first twelve month ends with the mean of the last twelve. A rolling 12-month figure measured
at monthly steps is smooth, so comparing whole years rather than two single months keeps the
seasonal steps of a figure such as flu vaccination out of the comparison.

Whether a change is more than chance is its `z`: the change between the two year means over
its standard error, each month's standard error read from its 95% limits. How the months of a
year combine depends on what a value counts. A figure over the 12 months to each month end
shares eleven twelfths of its data with the month before, so a year of its values is about as
uncertain as one of them (the standard error of the year's last value is used). A figure
counted in the calendar month alone (the cancer waiting times, for one) has twelve
independent values a year, so its year mean is twelve times as precise in variance. Comparing
such a figure's last month in each year, as for a rolling figure, compares two single months:
CANCER_62D moved +12.7% (z 2.1) from September 2024 to September 2026 on the default lake's
build, while its two pooled years moved +1.4% (z 0.8). Which kind a series is, is read from the
series itself: month-to-month steps that scatter about as widely as the standard error (their
median absolute deviation from the median step, over the median standard error, above
`INDEPENDENT_MONTHS`) mean independent months; a rolling figure's steps scatter about a quarter
as widely. Deviations from the median step, so that a steady trend (CAMHS referrals) does not
read as scatter, and medians, so that the few large steps of a seasonal figure (flu
vaccination by season) do not either.

    PYTHONPATH=src python benchmarks/series_drift.py --results RESULTS [--min-change 0.05]

RESULTS is a build's folder (`icsight build --out RESULTS`); its latest build is read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

#: Months averaged at each end of the series.
YEAR = 12
#: Median absolute deviation of the month-to-month steps over the median standard error above
#: which a series' months are taken to be independent (counted in the month alone): about 0.95
#: when they are (the median of |N(0, 2)|), about 0.27 for a figure over the last 12 months
#: (the median of |N(0, 2/12)|).
INDEPENDENT_MONTHS = 0.6
#: A 95% interval is this many standard errors either side of the value.
Z95 = 1.959964


def icb_series(values: pd.DataFrame) -> pd.DataFrame:
    """The ICB-level value of every indicator at every month end, one column per indicator."""
    icb = values[values["breakdown"] == "icb"]
    return (icb.pivot_table(index="period_end", columns="indicator_id", values="value",
                            aggfunc="first").sort_index())


def icb_standard_errors(values: pd.DataFrame) -> pd.DataFrame:
    """Each ICB value's standard error from its 95% limits, one column per indicator (NaN
    where a value has no limits)."""
    icb = values[values["breakdown"] == "icb"]
    se = (icb["upper_ci"] - icb["lower_ci"]) / (2 * Z95)
    return (icb.assign(se=se).pivot_table(index="period_end", columns="indicator_id",
                                          values="se", aggfunc="first").sort_index())


def months_independent(s: pd.Series, se: pd.Series) -> bool:
    """Whether a series' values are counted in their month alone rather than over a rolling
    12 months: its month-to-month steps are about as large as its standard errors."""
    steps = s.diff().dropna()
    scatter = (steps - steps.median()).abs().median()
    return bool(scatter > INDEPENDENT_MONTHS * se.median())


def drift_z(s: pd.Series, se: pd.Series, months: int = YEAR) -> tuple[float, bool]:
    """The change between the first and last `months` values' means over its standard error,
    and whether the months were taken as independent (see the module's docstring)."""
    independent = months_independent(s, se)
    if independent:
        first = np.sqrt((se.iloc[:months] ** 2).sum()) / months
        last = np.sqrt((se.iloc[-months:] ** 2).sum()) / months
    else:  # a rolling figure: a year of its values is as uncertain as its last one
        first, last = se.iloc[months - 1], se.iloc[-1]
    error = float(np.hypot(first, last))
    change = float(s.iloc[-months:].mean() - s.iloc[:months].mean())
    return (change / error if error > 0 else float("nan")), independent


COLUMNS = ["indicator_id", "first_year", "last_year", "change", "z", "monthly"]


def series_drift(values: pd.DataFrame, months: int = YEAR) -> pd.DataFrame:
    """Per indicator: the mean of its first `months` ICB values, of its last `months`, the
    relative change between them (NaN when the first mean is zero) and, where the values have
    95% limits, its `z` and whether its months were taken as independent (`monthly`).
    Indicators with fewer than two full years of values are left out: the two means would
    overlap."""
    series = icb_series(values)
    errors = (icb_standard_errors(values) if {"lower_ci", "upper_ci"} <= set(values.columns)
              else None)
    rows = []
    for indicator_id in series.columns:
        s = series[indicator_id].dropna()
        if len(s) < 2 * months:
            continue
        first, last = float(s.iloc[:months].mean()), float(s.iloc[-months:].mean())
        change = (last - first) / abs(first) if first else float("nan")
        z, monthly = float("nan"), None
        if errors is not None and indicator_id in errors.columns:
            se = errors[indicator_id].reindex(s.index)
            if se.notna().all():
                z, monthly = drift_z(s, se, months)
        rows.append({"indicator_id": indicator_id, "first_year": first, "last_year": last,
                     "change": change, "z": z, "monthly": monthly})
    out = pd.DataFrame(rows, columns=COLUMNS)
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
    print(f"{'indicator':<28} {'first year':>12} {'last year':>12} {'change':>8} {'z':>6} "
          "months")
    for indicator_id, r in drift.iterrows():
        kind = {True: "monthly", False: "rolling"}.get(r.monthly, "")
        print(f"{indicator_id:<28} {r.first_year:12.3f} {r.last_year:12.3f} {r.change:+8.1%} "
              f"{r.z:+6.1f} {kind}")


if __name__ == "__main__":
    main()
