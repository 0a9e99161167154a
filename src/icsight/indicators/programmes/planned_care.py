"""Fragile services and planned care: the referral-to-treatment waiting list.

Strategy (BLMK Health Services Strategy, 2024): "In the summer of 2024, over 150,000 people were
on waiting lists ... 45% ... over 18 weeks, with 10,000 people waiting for over a year";
statement 5, protect access to planned care.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from icsight.indicators.cohorts import PERIOD, ROW_KEYS, age_on
from icsight.indicators.definition import Indicator
from icsight.indicators.periods import first_and_last
from icsight.indicators.population import AgainstBaseline, Rolling

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

ATTRIBUTES = ("patient_id", "cell", "practice_code", "lsoa_code", "sex", "ethnicity_group",
              "month_of_birth")


def _open_on(table: ir.Table, periods: ir.Table, start: str, stop: str) -> ir.Table:
    """Rows open on each period end: started on or before it and not stopped by it."""
    # Rows started after the last period end, or stopped by the first, are open on none:
    # left out first, they are not matched against every period end (most of the history)
    first, last = first_and_last(periods)
    table = table.filter(table[start] <= last, table[stop].isnull() | (table[stop] > first))
    day = periods[PERIOD]
    joined = table.join(periods.select(PERIOD), [
        table[start] <= day, table[stop].isnull() | (table[stop] > day)])
    return joined.select(*table.columns, PERIOD)


def _waiting_list(lake, periods: ir.Table) -> ir.Table:
    """Incomplete pathways on each period end with the days waited so far (shared by the RTT
    indicators)."""
    def build() -> ir.Table:
        rtt = lake.table("rtt_pathways").select("patient_id", "clock_start", "clock_stop")
        rtt = _open_on(rtt, periods, "clock_start", "clock_stop")
        t = rtt.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
        return t.select(PERIOD, *ATTRIBUTES[2:6],
                        waited=t[PERIOD].delta(t.clock_start, unit="day"),
                        age=age_on(t.month_of_birth, t[PERIOD]))

    return lake.shared("waiting list", periods, build)


def _waiting(lake, periods: ir.Table, over_days: int, within: bool) -> ir.Table:
    t = _waiting_list(lake, periods)
    hit = t.waited <= over_days if within else t.waited > over_days
    return t.mutate(numerator=hit)


INDICATORS.append(Indicator(
    id="RTT_18WK", title="RTT: incomplete pathways waiting under 18 weeks",
    description="Percentage of people waiting for consultant-led treatment on the period end "
                "who have waited 18 weeks or less.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="open on the period end",
    programme="planned", strategy="Statement 5: protect access to planned care",
    numerator="waiting 18 weeks (126 days) or less", denominator="incomplete RTT pathways",
    rows=lambda lake, periods: _waiting(lake, periods, 126, True), target=65.0,
    target_date="2026-03-31",
    source="NHS England RTT waiting times (18-week standard 92%; 2025/26 target 65%)",
))
INDICATORS.append(Indicator(
    id="RTT_52WK", title="RTT: incomplete pathways waiting over 52 weeks",
    description="Percentage of people waiting for consultant-led treatment on the period end "
                "who have waited more than 52 weeks.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="open on the period end",
    programme="planned", strategy="Statement 5: protect access to planned care",
    numerator="waiting more than 52 weeks (364 days)", denominator="incomplete RTT pathways",
    rows=lambda lake, periods: _waiting(lake, periods, 364, False), polarity="lower is better",
    target=1.0, target_date="2026-03-31",
    source="NHS England RTT waiting times; 2025/26 planning: under 1% waiting over 52 weeks",
))


def _diagnostic_waits(lake, periods: ir.Table) -> ir.Table:
    rtt = lake.table("rtt_pathways")
    rtt = rtt.filter(rtt.diagnostic_wait_start.notnull()).select(
        "patient_id", "diagnostic_wait_start", "diagnostic_test_date")
    rtt = _open_on(rtt, periods, "diagnostic_wait_start", "diagnostic_test_date")
    t = rtt.join(lake.table("patients").select(*ATTRIBUTES), "patient_id")
    waited = t[PERIOD].delta(t.diagnostic_wait_start, unit="day")
    age = age_on(t.month_of_birth, t[PERIOD])
    return t.mutate(age=age, numerator=waited >= 42)  # DM01 counts "6 weeks or more"


INDICATORS.append(Indicator(
    id="DIAG_6WK", title="Diagnostic tests: waiting 6 weeks or more",
    description="Percentage of people waiting for a diagnostic test on the period end who have "
                "waited 6 weeks or more.",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="open on the period end",
    programme="planned", strategy="Fragile services and planned care: diagnostics",
    numerator="waiting 6 weeks (42 days) or more",
    denominator="people waiting for a diagnostic test on the period end",
    rows=_diagnostic_waits, polarity="lower is better", target=5.0, target_date="2025-03-31",
    source="NHS England DM01 diagnostic waiting times (standard: under 1% waiting 6 weeks or "
           "more; recovery ambition 5%)",
))


#: The baseline year elective activity is compared against. NHS England measures recovery
#: against 2019/20, which is before the data window; here it is the first complete financial
#: year in the lake (change it when a longer history is loaded).
ELECTIVE_BASELINE = (dt.date(2022, 4, 1), dt.date(2023, 3, 31))


def _elective_activity(lake) -> ir.Table:
    """Elective spells (ordinary and day case) and attended first outpatient appointments,
    one row each: patient_id, date."""
    spells = lake.table("apc_spells")
    spells = spells.filter(spells.admission_method == "elective").select(
        "patient_id", date=spells.admission_date)
    op = lake.table("op_appointments")
    op = op.filter(op.first_attendance, op.attended == "attended").select(
        "patient_id", date=op.appointment_date)
    return spells.union(op)


def _elective_vs_baseline(lake, periods: ir.Table) -> AgainstBaseline:
    activity = _elective_activity(lake)
    patients = lake.table("patients").select(*ATTRIBUTES)
    activity = activity.join(patients, "patient_id")
    activity = activity.mutate(age=age_on(activity.month_of_birth, activity.date),
                               n=ibis.literal(1, "int64"))
    current = Rolling(periods, activity.select(*ROW_KEYS[1:], "date", "n"), "start_12m")
    start, end = ELECTIVE_BASELINE
    base = activity.filter(activity.date >= start, activity.date <= end)
    return AgainstBaseline(periods, current, base.select(*ROW_KEYS[1:], "n"))


INDICATORS.append(Indicator(
    id="ELECTIVE_VS_BASELINE", title="Elective activity against the baseline year",
    description="Elective admissions (ordinary and day case) and attended first outpatient "
                "appointments in the 12 months to the period end, as a percentage of the same "
                f"activity in the baseline year ({ELECTIVE_BASELINE[0]:%B %Y} to "
                f"{ELECTIVE_BASELINE[1]:%B %Y}).",
    numerator_basis="events in the period",
    denominator_basis="baseline activity",
    programme="planned", strategy="Statement 5: protect access to planned care; national "
                                  "elective recovery (value-weighted activity above baseline)",
    numerator="elective spells and first outpatient attendances in the 12 months",
    denominator="the same activity in the baseline financial year (the `denominator` column "
                "holds the baseline count)",
    rows=_elective_vs_baseline, method="ratio", multiplier=100, unit="% of baseline",
    target=107.0, target_date="2025-03-31",
    source="NHS England elective recovery: value-weighted activity against 2019/20 (107% in "
           "2024/25 planning guidance); here activity counts, not values, against the first "
           "full year in the data",
))
