"""Benchmarking waiting lists between providers, for the fragile services the BLMK Health
Services Strategy names (issue 15, point 4): per service x provider on a day, the list, its
waits, its clock-stop rates and its growth; each provider's monthly share within the standard
as a Making Data Count SPC chart; and a funnel plot of that share against list size.

**The services.** Treatment function codes are the NHS Data Dictionary's ("Treatment Function
Code", https://www.datadictionary.nhs.uk/attributes/treatment_function_code.html):
ophthalmology 130, dermatology 330, neurology 400, vascular surgery 107, and for audiology both
audiological medicine 310 (the consultant-led audiology specialty) and ear, nose and throat 120,
because most adults referred for hearing loss join an ENT list: hearing tests themselves are
not consultant-led and are counted as diagnostics (DM01 "audiology - audiological
assessments"), not RTT. A service with no pathways in the lake is listed with none (the
synthetic lake has no 107 or 310 pathways). **Diagnostics** (`DIAG`) are the waits for a test
within pathways that the lake records (`rtt_pathways.diagnostic_wait_start` to
`diagnostic_test_date`), per provider over every treatment function, counted as indicator
DIAG_6WK counts them (NHS England DM01): waiting from the referral for the test until the
test, and within the standard while under 6 weeks (41 days or less).

**On a day** (`as_of`, default the lake's reference date), per service x provider:

* `list_size`: pathways open on the day (started on or before it, not stopped by it);
* `median_wait_weeks`, `p92_wait_weeks`: the waits of those people so far (days / 7), as the
  exact order statistic: the shortest wait that at least half (92%) of them have not exceeded
  (numpy's "inverted_cdf"). NHS England's published medians interpolate within weekly bands,
  so theirs can differ by part of a week;
* `within_standard`, `percent_within_standard`: waiting 18 weeks (126 days) or less, as
  indicator RTT_18WK counts it (for diagnostics: under 6 weeks);
* clock stops in the `stop_months` months to the day (default 3), split as `from_lake` splits
  them: `treated_stops` and `other_stops` (a non-admitted stop on the day the patient died or
  left the list: validation; diagnostics have none), each `..._per_100` = 100 x stops /
  `stop_months` / the list at the start of those months (`list_at_stop_start`): clock stops a
  month per 100 people waiting;
* `list_a_year_ago` (12 months before the day), `growth_12m` (the change in people) and
  `growth_12m_percent`.

**SPC** (`series`): the share within the standard at each month end for `months` months
(default 24) ending on the day, per provider, charted as an XmR chart by `icsight.stats.spc`
(NHSRplotthedots' rules). Making Data Count recommends the XmR chart for percentages as for
any measure ("Making Data Count: Getting started", NHS England / NHS Improvement 2019): a
p-chart's limits from lists of thousands are so narrow that nearly every month is "special
cause" (overdispersion), and NHSRplotthedots draws XmR charts only. The target line is the
standard: 92% within 18 weeks (NHS Constitution), 99% of diagnostic waits under 6 weeks (DM01).

**Funnel** (`funnel`): each service's providers' share within the standard against list size,
around the service's pooled share (all its providers' people within the standard / all its
people waiting), with 95% and 99.8% limits by `icsight.stats.funnel_limits`: the inverse of
the Wilson score interval as PHEindicatormethods' `calculate_funnel_limits` draws it, and each
provider's position by `funnel_significance` (99.8% checked first).

Month ends: when the day is the last day of its month, the series uses the last day of each
month; otherwise the same day of each month (clipped to the month's length). Days before the
lake's data window are left out of the series (a list there is incomplete); growth needs the
day a year before inside the window, and the clock-stop figures the start of their months,
and each is empty otherwise.

The figures are exact counts for planners; anything shown more widely goes through
`icsight.services.provider_benchmarks`, which suppresses small counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from icsight.engine import Lake
from icsight.stats import funnel_limits, funnel_significance, spc

__all__ = ["DIAGNOSTICS", "FRAGILE_SERVICES", "PROVIDER_COLUMNS", "Benchmarks",
           "ServiceDefinition", "assess", "benchmark", "definition", "month_ends"]

#: The code diagnostics are listed under (not a treatment function code).
DIAGNOSTICS = "DIAG"


@dataclass(frozen=True)
class ServiceDefinition:
    """A service benchmarked: its code, its name, the standard and the days within it."""

    code: str
    name: str
    standard: str
    within_days: int  # waited this many days or fewer: within the standard
    target_percent: float  # the standard's share within, the SPC chart's target line
    note: str = ""


_RTT = ("18 weeks", 126, 92.0)
#: The fragile services the strategy names, in the order the page shows them.
FRAGILE_SERVICES: dict[str, ServiceDefinition] = {s.code: s for s in (
    ServiceDefinition("130", "Ophthalmology", *_RTT),
    ServiceDefinition("330", "Dermatology", *_RTT),
    ServiceDefinition("400", "Neurology", *_RTT),
    ServiceDefinition("310", "Audiological medicine", *_RTT,
                      note="Audiology: the consultant-led audiology specialty."),
    ServiceDefinition("120", "Ear, nose and throat (ENT)", *_RTT,
                      note="Audiology: most adults referred with hearing loss wait on an ENT "
                           "list; hearing tests themselves are diagnostics."),
    ServiceDefinition("107", "Vascular surgery", *_RTT),
    ServiceDefinition(DIAGNOSTICS, "Diagnostic tests", "6 weeks", 41, 99.0,
                      note="Waits for a test within referral-to-treatment pathways, all "
                           "specialties, as DM01 counts them."),
)}

PROVIDER_COLUMNS = (
    "service", "service_name", "provider_code", "standard", "list_size", "median_wait_weeks",
    "p92_wait_weeks", "within_standard", "percent_within_standard", "stop_months",
    "list_at_stop_start", "treated_stops", "other_stops", "treated_per_100", "other_per_100",
    "stops_per_100", "list_a_year_ago", "growth_12m", "growth_12m_percent", "funnel_position",
    "variation")


@dataclass
class Benchmarks:
    """What `benchmark` gives: one row per service x provider (`providers`), the monthly series
    with each provider's SPC limits and signals (`series`), and each service's funnel limits
    (`funnel`: 100 list sizes per service, as `icsight.stats.funnel_limits`)."""

    as_of: dt.date
    providers: pd.DataFrame
    series: pd.DataFrame
    funnel: pd.DataFrame


def month_ends(day: dt.date, months: int) -> list[dt.date]:
    """The `months` month ends to `day`, oldest first: the last day of each month when `day`
    is the last of its month, else the same day of each month (clipped to its length)."""
    stamp = pd.Timestamp(day)
    last = stamp.is_month_end
    out = []
    for k in range(months - 1, -1, -1):
        moved = stamp - pd.DateOffset(months=k)
        out.append((moved + pd.offsets.MonthEnd(0) if last else moved).date())
    return out


def _months_before(day: dt.date, k: int) -> dt.date:
    return month_ends(day, k + 1)[0]


def benchmark(lake: Lake, as_of: str | dt.date | None = None,
              services: list[str] | tuple[str, ...] | None = None, months: int = 24,
              stop_months: int = 3) -> Benchmarks:
    """The benchmarks of `services` (codes of `FRAGILE_SERVICES`, or any treatment function
    code; default all the fragile services) on `as_of` (default the lake's reference date)."""
    if as_of is None:
        if lake.reference_date is None:
            raise ValueError("`as_of` is needed: the lake records no reference date")
        as_of = lake.reference_date
    day = as_of if isinstance(as_of, dt.date) else _date(as_of)
    for name, value in (("months", months), ("stop_months", stop_months)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be a whole number of months, at least 1 "
                             f"(got {value!r})")
    codes = list(services) if services is not None else list(FRAGILE_SERVICES)
    definitions = [definition(c) for c in codes]
    window = lake.data_window()
    first_day = _date(window[0]) if window else None
    if first_day is not None and not first_day <= day <= _date(window[1]):
        raise ValueError(f"`as_of` {day} is outside the lake's data ({window[0]} to "
                         f"{window[1]})")
    ends = [d for d in month_ends(day, months) if first_day is None or d >= first_day]
    stop_start = _months_before(day, stop_months)
    year_ago = _months_before(day, 12)
    if first_day is not None and year_ago < first_day:
        year_ago = None
    if first_day is not None and stop_start < first_day:
        stop_start = None  # stops before the lake's data are missing: no rate, not a wrong one
    earliest = min([*ends, day] + [d for d in (stop_start, year_ago) if d])
    rows = _pathways(lake, definitions, earliest, day)
    providers, series = _figures(rows, definitions, day, ends, stop_start, stop_months,
                                 year_ago)
    return assess(day, providers, series)


def assess(day: dt.date, providers: pd.DataFrame, series: pd.DataFrame) -> Benchmarks:
    """The SPC chart of each provider's `series` and each service's funnel, worked out from
    the counts given (`list_size` and `within_standard` per provider, `waiting` and
    `within_standard` per month, a withheld count NaN): `benchmark` gives it the exact counts,
    the services the published ones, so that nothing shown is drawn from a withheld count."""
    series = _with_spc(series)
    providers, funnel = _with_funnel(providers)
    last = series.dropna(subset=["variation"])
    icons = {(r.service, r.provider_code): r.variation for r in last.itertuples()}
    providers["variation"] = [icons.get((s, p)) for s, p in
                              zip(providers.service, providers.provider_code, strict=True)]
    return Benchmarks(day, providers[list(PROVIDER_COLUMNS)].reset_index(drop=True),
                      series, funnel)


def definition(code: str) -> ServiceDefinition:
    """The service `code` benchmarks: a fragile service's own, any other treatment function
    against the 18-week standard."""
    return FRAGILE_SERVICES.get(code) or ServiceDefinition(code, f"Treatment function {code}",
                                                           *_RTT)


def _date(value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"`as_of` must be a date 'YYYY-MM-DD' (got {value!r})") from None


def _pathways(lake: Lake, definitions: list[ServiceDefinition], earliest: dt.date,
              day: dt.date) -> pd.DataFrame:
    """The rows any figure needs: service, provider_code, start, stop, validated. Only rows
    started by `day` and not stopped before `earliest` can be on a list or stop in a window."""
    rtt = lake.table("rtt_pathways")
    first, on = ibis.literal(earliest), ibis.literal(day)
    frames = []
    functions = [d.code for d in definitions if d.code != DIAGNOSTICS]
    if functions:
        people = lake.table("patients").select("patient_id", "date_of_death",
                                               "registration_end")
        t = rtt.filter(rtt.treatment_function.isin(functions), rtt.clock_start <= on,
                       rtt.clock_stop.isnull() | (rtt.clock_stop >= first))
        t = t.left_join(people, "patient_id")
        # as from_lake: the lake has no removal reason, so a non-admitted stop on the day
        # the patient died or left the list is validation, not treatment
        validated = ((t.status == "non_admitted") & (
            (t.clock_stop == t.date_of_death) | (t.clock_stop == t.registration_end))
        ).fill_null(False)
        frames.append(t.select(service=t.treatment_function, provider_code=t.provider_code,
                               start=t.clock_start, stop=t.clock_stop,
                               validated=validated).to_pandas())
    if any(d.code == DIAGNOSTICS for d in definitions):
        t = rtt.filter(rtt.diagnostic_wait_start.notnull(), rtt.diagnostic_wait_start <= on,
                       rtt.diagnostic_test_date.isnull() | (rtt.diagnostic_test_date >= first))
        # as DIAG_6WK: a wait for a test ends with the test (the lake records no other end)
        frames.append(t.select(service=ibis.literal(DIAGNOSTICS), provider_code=t.provider_code,
                               start=t.diagnostic_wait_start, stop=t.diagnostic_test_date,
                               validated=ibis.literal(False)).to_pandas())
    if not frames:
        return pd.DataFrame(columns=["service", "provider_code", "start", "stop", "validated"])
    out = pd.concat(frames, ignore_index=True)
    out["start"] = pd.to_datetime(out["start"])
    out["stop"] = pd.to_datetime(out["stop"])
    return out


def _figures(rows: pd.DataFrame, definitions: list[ServiceDefinition], day: dt.date,
             ends: list[dt.date], stop_start: dt.date | None, stop_months: int,
             year_ago: dt.date | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-provider figures and the monthly series, from the pathway rows."""
    by_code = {d.code: d for d in definitions}
    keys = rows[["service", "provider_code"]].drop_duplicates().sort_values(
        ["service", "provider_code"], key=lambda c: c.map(_order(definitions))
        if c.name == "service" else c).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(keys)
    group = index.get_indexer(pd.MultiIndex.from_frame(rows[["service", "provider_code"]]))
    n = len(keys)
    start = rows["start"].to_numpy("datetime64[D]")
    stop = rows["stop"].to_numpy("datetime64[D]")  # NaT while open
    within_days = rows["service"].map({c: d.within_days for c, d in by_code.items()}
                                      ).to_numpy(int)

    def waiting_on(when: dt.date) -> tuple[np.ndarray, np.ndarray]:
        d = np.datetime64(when, "D")
        is_open = (start <= d) & (np.isnat(stop) | (stop > d))
        waited = (d - start).astype(int)
        return is_open, waited

    def counts(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group[mask], minlength=n)

    series = []
    for end in ends:
        is_open, waited = waiting_on(end)
        series.append(pd.DataFrame({
            "service": keys.service, "provider_code": keys.provider_code,
            "period_end": end, "waiting": counts(is_open),
            "within_standard": counts(is_open & (waited <= within_days))}))
    is_open, waited = waiting_on(day)
    size = counts(is_open)
    within = counts(is_open & (waited <= within_days))
    median, p92 = np.full(n, np.nan), np.full(n, np.nan)
    for g in np.unique(group[is_open]):
        waits = waited[is_open & (group == g)]
        median[g], p92[g] = np.percentile(waits, [50, 92], method="inverted_cdf") / 7
    if stop_start is not None:
        lo, hi = np.datetime64(stop_start, "D"), np.datetime64(day, "D")
        stopped = ~np.isnat(stop) & (stop > lo) & (stop <= hi)
        validated = rows["validated"].to_numpy(bool)
        treated = counts(stopped & ~validated).astype(float)
        other = counts(stopped & validated).astype(float)
        at_start = counts(waiting_on(stop_start)[0]).astype(float)
    else:
        treated = other = at_start = np.full(n, np.nan)
    then = counts(waiting_on(year_ago)[0]).astype(float) if year_ago else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(at_start > 0, 100 / stop_months / at_start, np.nan)
        growth_percent = np.where(then > 0, 100 * (size - then) / then, np.nan)
        percent = np.where(size > 0, 100 * within / size, np.nan)
    providers = pd.DataFrame({
        "service": keys.service,
        "service_name": keys.service.map({c: d.name for c, d in by_code.items()}),
        "provider_code": keys.provider_code,
        "standard": keys.service.map({c: d.standard for c, d in by_code.items()}),
        "list_size": size, "median_wait_weeks": median, "p92_wait_weeks": p92,
        "within_standard": within, "percent_within_standard": percent,
        "stop_months": stop_months, "list_at_stop_start": at_start,
        "treated_stops": treated, "other_stops": other,
        "treated_per_100": treated * per, "other_per_100": other * per,
        "stops_per_100": (treated + other) * per,
        "list_a_year_ago": then, "growth_12m": size - then,
        "growth_12m_percent": growth_percent})
    series = pd.concat(series, ignore_index=True) if series else pd.DataFrame(
        columns=["service", "provider_code", "period_end", "waiting", "within_standard"])
    with np.errstate(divide="ignore", invalid="ignore"):
        series["percent_within_standard"] = np.where(
            series.waiting > 0, 100 * series.within_standard / series.waiting.where(
                series.waiting > 0, 1), np.nan)
    return providers, series


def _order(definitions: list[ServiceDefinition]) -> dict[str, int]:
    return {d.code: i for i, d in enumerate(definitions)}


def _with_spc(series: pd.DataFrame) -> pd.DataFrame:
    """Each provider's monthly share within the standard with its XmR mean, process limits,
    rule and point type (`icsight.stats.spc`, higher is better, the standard as target)."""
    parts = []
    for (service, _), part in series.groupby(["service", "provider_code"], sort=False):
        part = part.sort_values("period_end").reset_index(drop=True)
        shown = part["percent_within_standard"].notna().to_numpy()
        extra = pd.DataFrame(index=part.index, columns=["mean", "lpl", "upl", "rule",
                                                        "point_type", "variation"])
        if shown.sum() >= 2:
            chart = spc(part.loc[shown, "percent_within_standard"].to_numpy(),
                        dates=pd.to_datetime(part.loc[shown, "period_end"]),
                        improvement_direction="increase",
                        target=definition(service).target_percent)
            points = chart.points
            for col in ("mean", "lpl", "upl", "rule", "point_type"):
                extra.loc[shown, col] = points[col].to_numpy()
            extra.loc[part.index[shown][-1], "variation"] = chart.variation_icon
        parts.append(pd.concat([part, extra], axis=1))
    if not parts:
        return series.assign(mean=[], lpl=[], upl=[], rule=[], point_type=[], variation=[])
    out = pd.concat(parts, ignore_index=True)
    for col in ("mean", "lpl", "upl"):
        out[col] = out[col].astype(float)
    return out


def _with_funnel(providers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each provider's position on its service's funnel, and each service's limits."""
    positions = pd.Series(None, index=providers.index, dtype=object)
    limits = []
    for service, part in providers.groupby("service", sort=False):
        shown = part[(part.list_size > 0) & part.within_standard.notna()]  # withheld: NaN
        if len(shown) < 2 or shown.within_standard.sum() in (0, shown.list_size.sum()):
            continue  # no spread to draw limits around (one provider, or all or none within)
        positions[shown.index] = funnel_significance(shown.within_standard, shown.list_size)
        wide = funnel_limits(shown.within_standard, shown.list_size)
        limits.append(pd.DataFrame({
            "service": service, "list_size": wide["Population"],
            "lower_95": wide["lower_2s_limit"], "upper_95": wide["upper_2s_limit"],
            "lower_99_8": wide["lower_3s_limit"], "upper_99_8": wide["upper_3s_limit"],
            "pooled_percent": wide["baseline"]}))
    providers = providers.assign(funnel_position=positions)
    funnel = pd.concat(limits, ignore_index=True) if limits else pd.DataFrame(
        columns=["service", "list_size", "lower_95", "upper_95", "lower_99_8", "upper_99_8",
                 "pooled_percent"])
    return providers, funnel
