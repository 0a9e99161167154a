"""HF_ADM_DSR: emergency admissions for heart failure, directly age-standardised.

Emergency admissions (spells) with a primary diagnosis of heart failure (ICD-10 I50) in the 12
months to the period end, every admission counted, per 100,000 people registered on the period
end, directly standardised to the 2013 European Standard Population over all 19 five-year bands
(0-4 ... 85-89, 90+; weights total 100,000). An admission counts for the population it
belonged to when it happened: the published numerators take every admission in the period of
people registered (resident) at the time, including people who have since died or moved."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, spell

INDICATOR = "HF_ADM_DSR"
SOURCE = ("NHS Outcomes Framework / OHID Fingertips emergency admission indicators (HES "
          "admitted patient care: emergency spells, admission method 21-28, by primary "
          "diagnosis, counted by admission date, each admission counted, attributed to the "
          "patient's registered practice at the time), heart failure ICD-10 I50 as in the "
          "CVDPREVENT outcome 'emergency admissions for heart failure' "
          "(https://www.cvdprevent.nhs.uk/); ESP2013 directly standardised rate per 100,000 "
          "with no value under 10 events (PHE 'Technical Guide: Direct standardisation', "
          "PHEindicatormethods calculate_dsr, https://fingertips.phe.org.uk/); the registered "
          "population on the period end as denominator follows the indicator's documented "
          "definition in docs/indicators.md")

HF, MI = "I500", "I219"  # congestive heart failure; acute myocardial infarction
#: ESP2013 weights, bands 0-4 ... 85-89, 90+ (src/icsight/data/reference/esp2013.json)
ESP = (5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500,
       5000, 4000, 2500, 1500, 1000)


def hf(pid, date, method="emergency", diagnosis=HF):
    return spell(pid, date, method=method, diagnosis=diagnosis)


def aged(pid, age, **fields):
    """Aged `age` on 31 March 2025 and all through January-March 2025 (born in January)."""
    return patient(pid, born=f"{2025 - age}-01-01", **fields)


# A value: one patient in each ESP band (ages 2, 7, ..., 92), admitted in February 2025 (the
# same age then as on the period end): 4 admissions aged 92 (90+), 3 aged 87 (85-89), 2 aged
# 82 (80-84) and 1 aged 77 (75-79), 10 in all, each band's population 1.
# DSR = (4 x 1,000 + 3 x 1,500 + 2 x 2,500 + 1 x 4,000) / 100,000 x 100,000 = 17,500.
EVERY_BAND = [aged(k + 1, 5 * k + 2) for k in range(19)]
TEN = ([hf(19, f"2025-02-0{d}") for d in range(1, 5)] + [hf(18, f"2025-02-0{d}")
                                                          for d in range(1, 4)]
       + [hf(17, "2025-02-01"), hf(17, "2025-02-02"), hf(16, "2025-02-01")])
DSR = (4 * ESP[18] + 3 * ESP[17] + 2 * ESP[16] + 1 * ESP[15]) / sum(ESP) * 100_000

# Age at admission: the same 19 people, but the oldest born February 1935 (90 on the period end,
# 89 when admitted 10 times in October 2024). Admissions are banded by age at admission, the
# population by age on the period end: band 85-89 has 10 admissions over 1 person (the
# 87-year-old), band 90+ none over 1.
# DSR = 10 x 1,500 / 100,000 x 100,000 = 15,000 (banded at the period end it would be
# 10 x 1,000 = 10,000).
AT_ADMISSION = [*EVERY_BAND[:18], patient(19, born="1935-02-01")]
OCTOBER = [hf(19, f"2024-10-{d:02d}") for d in range(1, 11)]
DSR_AT_ADMISSION = 10 * ESP[17] / sum(ESP) * 100_000

# The age-band breakdown: 80+ holds ESP bands 80-84, 85-89 and 90+. A lake with one person aged
# 30 (outside the group) and one each aged 82, 87 and 92, with 3, 3 and 4 admissions:
# DSR within 80+ = (3 x 2,500 + 3 x 1,500 + 4 x 1,000) / (2,500 + 1,500 + 1,000) x 100,000
#                = 16,000 / 5,000 x 100,000 = 320,000 per 100,000; 10 admissions, 3 people.
OLD = [aged(1, 30), aged(2, 82), aged(3, 87), aged(4, 92)]
OLD_ADMISSIONS = ([hf(2, f"2025-02-0{d}") for d in range(1, 4)]
                  + [hf(3, f"2025-02-0{d}") for d in range(1, 4)]
                  + [hf(4, f"2025-02-0{d}") for d in range(1, 5)])
OLD_DSR = (3 * 2500 + 3 * 1500 + 4 * 1000) / (2500 + 1500 + 1000) * 100_000

CASES = [
    Case("An emergency admission with a primary diagnosis of heart failure (I50) counts; an "
         "elective one, or an emergency admission for another diagnosis, does not",
         [aged(1, 80)],
         [hf(1, "2024-10-01"), hf(1, "2024-11-01", method="elective"),
          hf(1, "2024-12-01", diagnosis=MI)], Expect(1, 1, no_value=True)),
    Case("Every admission counts, not every person: two emergency heart failure admissions "
         "of one patient count twice",
         [aged(1, 80), aged(2, 70)], [hf(1, "2024-10-01"), hf(1, "2025-01-10")],
         Expect(2, 2, no_value=True)),
    Case("The 12 months run from the day after the same date a year earlier to the period end "
         "inclusive: admissions on 1 April 2024 and 31 March 2025 count, 31 March 2024 does "
         "not",
         [aged(1, 80)], [hf(1, "2024-03-31"), hf(1, "2024-04-01"), hf(1, "2025-03-31")],
         Expect(2, 1, no_value=True)),
    Case("Admissions in the year of people registered when admitted count even if they died "
         "or moved practice before the period end (they are not in the period-end "
         "population)",
         [aged(1, 80), aged(2, 80, date_of_death="2024-12-01", registration_end="2024-12-01"),
          aged(3, 80, registration_end="2024-12-01")],
         [hf(1, "2024-06-01"), hf(2, "2024-06-01"), hf(3, "2024-06-01")],
         Expect(3, 1, no_value=True)),
    Case("An admission before the patient registered with the practice does not count for it, "
         "though the patient is in its period-end population",
         [aged(1, 80, registration_start="2024-09-01")], [hf(1, "2024-06-01")],
         Expect(0, 1, no_value=True)),
    Case("Each month of a series looks back 12 months from its own end: an admission on 15 "
         "April 2024 counts for 31 March 2025, not for 30 April 2025",
         [aged(1, 80)], [hf(1, "2024-04-15")],
         expect={"2025-03-31": Expect(1, 1, no_value=True),
                 "2025-04-30": Expect(0, 1, no_value=True)}),
    Case("Fewer than 10 admissions give no rate; with 10 and people in every band, the rate "
         "is directly standardised to the ESP2013 weights of all 19 bands: 17,500 per "
         "100,000",
         EVERY_BAND, TEN, Expect(10, 19, DSR)),
    Case("Admissions are standardised by age at admission: ten admissions at 89 of a patient 90 "
         "on the period end take the 85-89 weight (1,500), not the 90+ one: 15,000 per "
         "100,000",
         AT_ADMISSION, OCTOBER, Expect(10, 19, DSR_AT_ADMISSION)),
    Case("Breakdown by age band: the 80+ band is standardised over its own ESP2013 bands "
         "(80-84, 85-89, 90+), whatever other ages the population has: 320,000 per 100,000, "
         "labelled with the ages it is standardised over",
         OLD, OLD_ADMISSIONS,
         Expect(10, 3, OLD_DSR, method="DSR ESP2013 over the band's own ages 80+ (Dobson)"),
         alone=True, breakdown="age_band",
         group="80+"),
]
