"""Cancer programme: screening coverage as the national KPIs define it.

Coverage is a point-in-time measure on the period end: of the eligible population, the share
with an adequate screen within the look-back (NHS England screening KPIs; clinical-indicators.md
1.4). People whose screening was ceased for clinical reasons leave the denominator.
"""

from __future__ import annotations

import ibis.expr.types as ir

from icsight.indicators.catalogue import Indicator, register
from icsight.indicators.common import PopulationCounts, flag, has_event, population_counts

STRATEGY = "Cancer Board workplan: screening coverage (bowel, breast, cervical) and HPV uptake"


def _coverage(lake, periods: ir.Table, programme: str, ages: tuple[int, int], months: int,
              women_only: bool, older_months: int | None = None) -> PopulationCounts:
    screening = lake.table("screening")
    ceased = has_event(screening, "date", periods, None,
                       lambda s: (s.programme == programme) & (s.event == "ceased"))
    tests = screening.filter(screening.programme == programme, screening.event == "tested")
    sex = "female" if women_only else None
    recent = has_event(tests, "date", periods, f"start_{months}m")
    if older_months is None:
        return population_counts(lake, periods, recent, ages, sex, exclude=ceased)
    # Cervical: under 50s within the shorter look-back, 50 and over within the longer one.
    longer = has_event(tests, "date", periods, f"start_{older_months}m")
    longer = flag(longer, recent, "in_shorter_window")
    return population_counts(lake, periods, longer, ages, sex, exclude=ceased,
                             keep=lambda t: (t.age >= 50) | t.in_shorter_window)


register(Indicator(
    id="SCREEN_BOWEL", title="Bowel cancer screening coverage (60-74)",
    description="Percentage of people aged 60-74 adequately screened for bowel cancer in the "
                "previous 30 months.",
    programme="cancer", strategy=STRATEGY,
    numerator="an adequate FIT result in the 30 months to the period end",
    denominator="registered people aged 60-74, excluding those ceased for clinical reasons",
    rows=lambda lake, periods: _coverage(lake, periods, "bowel", (60, 74), 30, False),
    target=76.0, source="NHS bowel screening KPI (Fingertips definition); achievable 76% "
                        "(thresholds from April 2025)",
))
register(Indicator(
    id="SCREEN_BREAST", title="Breast cancer screening coverage (53-70)",
    description="Percentage of women aged 53-70 screened for breast cancer in the previous 36 "
                "months.",
    programme="cancer", strategy=STRATEGY,
    numerator="an adequate screen in the 36 months to the period end",
    denominator="registered women aged 53-70, excluding those ceased",
    rows=lambda lake, periods: _coverage(lake, periods, "breast", (53, 70), 36, True),
    target=80.0, source="NHS breast screening KPI; acceptable 70%, achievable 80%",
))
register(Indicator(
    id="SCREEN_CERVICAL", title="Cervical screening coverage (25-64, age-appropriate)",
    description="Percentage of women aged 25-64 screened within 3.5 years (ages 25-49) or "
                "5.5 years (ages 50-64).",
    programme="cancer", strategy=STRATEGY,
    numerator="an adequate test within 3.5 years (25-49) or 5.5 years (50-64)",
    denominator="registered women aged 25-64, excluding those ceased",
    rows=lambda lake, periods: _coverage(lake, periods, "cervical", (25, 64), 42, True, 66),
    target=80.0, source="NHS cervical screening KPI (NHS Digital Cervical Screening Programme); "
                        "acceptable 80%",
))


def _hpv(lake, periods: ir.Table) -> PopulationCounts:
    vacc = lake.table("vaccinations")
    vacc = vacc.filter(vacc.vaccine == "hpv").select("patient_id", "date")
    return population_counts(lake, periods, has_event(vacc, "date", periods, None), (14, 14))


register(Indicator(
    id="HPV_BY_14", title="HPV vaccination by age 14",
    description="Percentage of registered 14-year-olds with an HPV vaccination on record "
                "(offered in school Year 8, with catch-up in Years 9-10).",
    programme="cancer", strategy=STRATEGY,
    numerator="at least one HPV vaccination recorded", denominator="registered people aged 14",
    rows=_hpv, target=90.0,
    source="UKHSA HPV vaccination coverage (Year 8-10); national aspiration 90%",
))
