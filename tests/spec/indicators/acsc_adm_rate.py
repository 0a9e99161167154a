"""ACSC_ADM_RATE: emergency admissions for chronic ambulatory-care-sensitive conditions.

Emergency admissions in the 12 months to the period end whose primary diagnosis is a chronic
ambulatory-care-sensitive condition, of people registered with the practice when admitted,
per 100,000 people registered on the period end (each admission counts)."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import patient, spell

INDICATOR = "ACSC_ADM_RATE"
SOURCE = ("NHS Outcomes Framework indicator 2.3.i, Unplanned hospitalisation for chronic "
          "ambulatory care sensitive conditions (NHS Digital indicator specification, also CCG "
          "Outcomes Indicator Set 2.6, IAP00068: "
          "https://digital.nhs.uk/data-and-information/publications/statistical/"
          "nhs-outcomes-framework): emergency admissions with a chronic ACSC primary "
          "diagnosis; counted here as a crude rate per 100,000 registered people, as the "
          "catalogue states (NHSOF publishes an ESP2013-standardised rate)")


def acsc(pid, date, diagnosis="I500", **kw):
    return spell(pid, date, diagnosis=diagnosis, **kw)


CASES = [
    Case("Every chronic ACSC listed counts as primary diagnosis: asthma (J45, J46), COPD "
         "(J44), heart failure (I50), angina (I20), diabetes (E10-E14), epilepsy (G40, G41) "
         "and hypertension (I10, I11): 14 admissions of one person is 1,400,000 per 100,000",
         [patient(1)],
         [acsc(1, f"2024-06-{day:02d}", code) for day, code in enumerate(
             ["J459", "J46X", "J440", "I500", "I209", "E101", "E119", "E120", "E139", "E149",
              "G409", "G410", "I10X", "I110"], start=1)],
         Expect(14, 1, 1_400_000.0)),
    Case("Other primary diagnoses do not count, even near neighbours of the list: pneumonia "
         "(J18), myocardial infarction (I21), hypertensive renal disease (I12), "
         "non-diabetic hypoglycaemia (E15)",
         [patient(1)],
         [acsc(1, "2024-06-01", "J189"), acsc(1, "2024-07-01", "I219"),
          acsc(1, "2024-08-01", "I120"), acsc(1, "2024-09-01", "E15X")],
         Expect(0, 1, 0.0)),
    Case("Only emergency admissions count: an elective admission for heart failure does not",
         [patient(1), patient(2)],
         [acsc(1, "2024-06-01", method="elective"), acsc(2, "2024-06-01")],
         Expect(1, 2, 50_000.0)),
    Case("The 12 months to 31 March 2025 run from 1 April 2024 to 31 March 2025: admissions on "
         "31 March 2024 and 1 April 2025 are outside, on 1 April 2024 and 31 March 2025 inside",
         [patient(1), patient(2), patient(3), patient(4)],
         [acsc(1, "2024-03-31"), acsc(2, "2024-04-01"), acsc(3, "2025-03-31"),
          acsc(4, "2025-04-01")],
         Expect(2, 4, 50_000.0)),
    Case("Dementia (F00-F03) is a chronic ACSC in NHSOF 2.3.i: an emergency admission with "
         "primary diagnosis F03 counts",
         [patient(1, born="1935-01-01")], [acsc(1, "2024-09-01", "F03X")],
         Expect(1, 1, 100_000.0)),
    Case("An admission of someone who died later in the year still counts (registered when "
         "admitted), though they are not in the period-end denominator",
         [patient(1, date_of_death="2025-02-01", registration_end="2025-02-01"), patient(2)],
         [acsc(1, "2024-12-01", "J441")],
         Expect(1, 1, 100_000.0)),
    Case("An admission before the person registered with the practice does not count: it "
         "belongs to the practice they were registered with then",
         [patient(1, registration_start="2024-09-01"), patient(2)],
         [acsc(1, "2024-06-01", "E119"), acsc(1, "2024-10-01", "E119")],
         Expect(1, 2, 50_000.0)),
    Case("Each month of a series looks back 12 months from its own end: an asthma admission "
         "on 15 April 2024 counts in the 12 months to 31 March 2025, not to 30 April 2025",
         [patient(1), patient(2)], [acsc(1, "2024-04-15", "J450")],
         expect={"2025-03-31": Expect(1, 2, 50_000.0), "2025-04-30": Expect(0, 2, 0.0)}),
]
