"""SABA_CARBON: carbon footprint of salbutamol reliever inhalers, kg CO2e per patient.

The salbutamol inhalers issued in the 12 months to the period end, each valued in kg CO2e as
OpenPrescribing's carbon_salbutamol measure values its BNF presentation (Ventolin Evohaler
28.26, generic CFC-free inhaler 25.24, Salamol 11.95, Salamol Easi-Breathe 12.08, Easyhaler
0.62, ...), times the inhalers issued (a missing quantity is one inhaler), summed and divided
by the people registered on the period end (all ages). An issue counts for the practice the
patient was registered with when it was issued, including people who died or left before the
period end; presentations the measure does not value (terbutaline, older salbutamol products)
are left out. The numerator is in grams of CO2e, the value in kg per patient."""

from tests.spec.harness import Case, Expect
from tests.spec.rows import medication, patient

INDICATOR = "SABA_CARBON"
SOURCE = ("OpenPrescribing, measure carbon_salbutamol, 'Environmental impact of salbutamol "
          "inhalers' (https://openprescribing.net/measure/carbon_salbutamol/; kg CO2e per "
          "inhaler by BNF presentation, from Wilkinson et al., BMJ Open 2019;9:e028763), "
          "issued inhalers per registered patient in 12 months; NHS Long Term Plan (2019): "
          "halve the carbon impact of inhalers")

# (dm+d AMP/VMP, BNF presentation), kg CO2e per inhaler in OpenPrescribing's measure
VENTOLIN = ("222311000001102", "0301011R0BEAIAP")  # Ventolin Evohaler, pMDI, 28.26
GENERIC = ("320139002", "0301011R0AAAPAP")  # Salbutamol 100mcg/dose inhaler CFC free, 25.24
SALAMOL = ("106511000001103", "0301011R0BIAFAP")  # Salamol CFC free (Teva), pMDI, 11.95
EASI_BREATHE = ("3215311000001107", "0301011R0BIAGBU")  # Salamol Easi-Breathe, BAI, 12.08
EASYHALER = ("9205211000001104", "0301011R0BWAABZ")  # Easyhaler salbutamol 100, DPI, 0.62
SALBULIN = ("840111000001107", "0301011R0BDAEAP")  # Salbulin inhaler: not valued
TERBUTALINE = ("0", "0301011V0BBADAA")  # Bricanyl Turbohaler: not valued (not salbutamol)
BECLOMETASONE = ("3175711000001102", "0302000C0AAAAAA")  # an ICS, not a reliever


def issue(pid, date, drug, quantity=1):
    return medication(pid, date, drug[0], drug[1], quantity)


CASES = [
    Case("Each inhaler is valued by its presentation: a Ventolin Evohaler (28.26 kg) and an "
         "Easyhaler (0.62 kg) to one patient, nothing to the other: 28,880 g over 2 patients "
         "is 14.44 kg per patient",
         [patient(1), patient(2)],
         [issue(1, "2024-10-01", VENTOLIN), issue(1, "2024-11-01", EASYHALER)],
         Expect(28880, 2, 14.44)),
    Case("An issue of two inhalers counts twice; an issue with no quantity counts as one: "
         "Salamol x 2 and Salamol x (none) is 3 x 11.95 kg over 2 patients, 17.925 kg",
         [patient(1), patient(2)],
         [issue(1, "2024-10-01", SALAMOL, 2), issue(2, "2024-10-01", SALAMOL, None)],
         Expect(35850, 2, 17.925)),
    Case("The 12 months run from the day after the same date a year earlier to the period end "
         "inclusive: of generic inhalers issued on 31 March 2024, 1 April 2024, 31 March 2025 "
         "and 1 April 2025, the middle two count (2 x 25.24 kg)",
         [patient(1)],
         [issue(1, "2024-03-31", GENERIC), issue(1, "2024-04-01", GENERIC),
          issue(1, "2025-03-31", GENERIC), issue(1, "2025-04-01", GENERIC)],
         Expect(50480, 1, 50.48)),
    Case("Presentations OpenPrescribing's salbutamol measure does not value (terbutaline, "
         "Salbulin) and other inhalers (beclometasone) add nothing",
         [patient(1)],
         [issue(1, "2024-10-01", TERBUTALINE), issue(1, "2024-10-01", SALBULIN),
          issue(1, "2024-10-01", BECLOMETASONE)], Expect(0, 1, 0.0)),
    Case("An issue counts for the practice the patient was registered with when it was "
         "issued: a patient who died in February 2025 (a Ventolin in January) is in the "
         "numerator, not the period-end denominator; one who joined in February 2025 is in "
         "the denominator but an issue before joining is not",
         [patient(1), patient(2, date_of_death="2025-02-01", registration_end="2025-02-01"),
          patient(3, registration_start="2025-02-01")],
         [issue(2, "2025-01-10", VENTOLIN), issue(3, "2025-01-15", VENTOLIN)],
         Expect(28260, 2, 14.13)),
    Case("Each month looks back 12 months from its own end: a Salamol Easi-Breathe issued on "
         "15 April 2024 counts for 31 March 2025, not for 30 April 2025",
         [patient(1)], [issue(1, "2024-04-15", EASI_BREATHE)],
         expect={"2025-03-31": Expect(12080, 1, 12.08), "2025-04-30": Expect(0, 1, 0.0)}),
]
