"""SABA_PMDI_SHARE: salbutamol reliever inhalers issued as pressurised MDIs.

Of the issues (items) in the 12 months to the period end of a salbutamol inhaler that
OpenPrescribing's carbon_salbutamol measure values, to people registered when it was issued,
the percentage that were pressurised metered dose inhalers: pMDIs and breath-actuated pMDIs
(a propellant in both); the rest are dry powder inhalers. Presentations the measure does not
value are in neither count."""

from tests.spec.harness import Case, Expect
from tests.spec.indicators.saba_carbon import (
    BECLOMETASONE,
    EASI_BREATHE,
    EASYHALER,
    SALAMOL,
    SALBULIN,
    TERBUTALINE,
    VENTOLIN,
    issue,
)
from tests.spec.rows import patient

INDICATOR = "SABA_PMDI_SHARE"
SOURCE = ("OpenPrescribing, measures carbon_salbutamol (device and kg CO2e per salbutamol "
          "presentation, https://openprescribing.net/measure/carbon_salbutamol/) and "
          "environmental_inhalers (MDIs as a share of inhaler items, "
          "https://openprescribing.net/measure/environmental_inhalers/); NHS Long Term Plan "
          "(2019): halve the carbon impact of inhalers by moving to lower-carbon devices")

CASES = [
    Case("Pressurised MDIs, small or large volume, and breath-actuated MDIs count; dry powder "
         "inhalers do not: Ventolin Evohaler, Salamol, Salamol Easi-Breathe and Easyhaler "
         "are 3 of 4",
         [patient(1)],
         [issue(1, "2024-10-01", VENTOLIN), issue(1, "2024-10-02", SALAMOL),
          issue(1, "2024-10-03", EASI_BREATHE), issue(1, "2024-10-04", EASYHALER)],
         Expect(3, 4, 75.0)),
    Case("Items are counted, not inhalers: two Ventolin inhalers on one item and one "
         "Easyhaler are 1 of 2",
         [patient(1)],
         [issue(1, "2024-10-01", VENTOLIN, 2), issue(1, "2024-10-02", EASYHALER)],
         Expect(1, 2, 50.0)),
    Case("Presentations the measure does not value (terbutaline, Salbulin) and other "
         "inhalers (beclometasone) are in neither count",
         [patient(1)],
         [issue(1, "2024-10-01", TERBUTALINE), issue(1, "2024-10-01", SALBULIN),
          issue(1, "2024-10-01", BECLOMETASONE), issue(1, "2024-10-01", EASYHALER)],
         Expect(0, 1, 0.0)),
    Case("The 12 months run from the day after the same date a year earlier to the period "
         "end: a Ventolin on 31 March 2024 is out, one on 1 April 2024 and an Easyhaler on "
         "31 March 2025 are in, one on 1 April 2025 is out",
         [patient(1)],
         [issue(1, "2024-03-31", VENTOLIN), issue(1, "2024-04-01", VENTOLIN),
          issue(1, "2025-03-31", EASYHALER), issue(1, "2025-04-01", VENTOLIN)],
         Expect(1, 2, 50.0)),
    Case("Issues of people registered when they were issued count, including a patient who "
         "died before the period end; an issue before a patient joined the practice does not",
         [patient(1, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(2, registration_start="2025-02-01")],
         [issue(1, "2025-01-10", VENTOLIN), issue(2, "2025-01-15", VENTOLIN),
          issue(2, "2025-02-15", EASYHALER)], Expect(1, 2, 50.0)),
    Case("Each month looks back 12 months from its own end: a Ventolin issued on 15 April "
         "2024 and an Easyhaler on 1 October 2024 are 1 of 2 for 31 March 2025 and 0 of 1 "
         "for 30 April 2025",
         [patient(1)],
         [issue(1, "2024-04-15", VENTOLIN), issue(1, "2024-10-01", EASYHALER)],
         expect={"2025-03-31": Expect(1, 2, 50.0), "2025-04-30": Expect(0, 1, 0.0)}),
]
