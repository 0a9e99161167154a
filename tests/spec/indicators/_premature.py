"""Shared cases for the three under-75 mortality indicators (PREM_MORT_CVD, _RESP, _CANCER).

Not a spec itself (no INDICATOR): each indicator's module calls `cases(...)` with a cause of
death inside its ICD-10 range, one just outside it, and one from another chapter.

The published definition (OHID Fingertips / PHOF "Under 75 mortality rate from ..."): deaths
of people aged under 75 with the underlying cause in the range, directly age-standardised to
the 2013 European Standard Population over the 15 five-year bands 0-4 ... 70-74 (weights
5,000 ... 5,000, total 91,000), per 100,000; no value under 10 deaths. The project's
documented decisions (docs/indicators.md, "Premature mortality"): a rolling 12 months to the
period end (Fingertips pools three years), and a denominator of the registered population
under 75 on the period end plus the people who died under 75 in the 12 months.
"""

from __future__ import annotations

from tests.spec.harness import Case, Expect
from tests.spec.rows import death, patient

#: ESP2013 weights of the bands 0-4 ... 70-74 (src/icsight/data/reference/esp2013.json)
ESP_UNDER_75 = (5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
                5500, 5000)


def died(pid: int, date: str, cause: str, born: str = "1960-01-01", **fields):
    """A patient who died on `date` (deregistered that day) and their death registration."""
    return (patient(pid, born=born, date_of_death=date, registration_end=date, **fields),
            death(pid, date, cause))


def _deaths(spec: list[tuple[int, str, str, str]]):
    """(pid, date, cause, born) -> (patients, records)."""
    pairs = [died(pid, date, cause, born) for pid, date, cause, born in spec]
    return [p for p, _ in pairs], [d for _, d in pairs]


def alive_aged(pid: int, age: int) -> dict:
    """Alive and registered, aged `age` on 31 March 2025 (born in June: the birthday in the
    year to the period end has not come by 31 March)."""
    return patient(pid, born=f"{2024 - age}-06-01")


def cases(cause: str, edge: str, other: str, chapter: str) -> list[Case]:
    """`cause` is in the indicator's range, `edge` a code of a neighbouring chapter just outside
    it, `other` another chapter's cause; `chapter` names the range for the rule text."""
    c1_people, c1_deaths = _deaths([(2, "2024-10-01", cause, "1964-01-01"),
                                    (3, "2024-10-01", other, "1964-01-01")])

    c2_people, c2_deaths = _deaths([(1, "2025-03-15", cause, "1950-04-01"),
                                    (2, "2025-03-15", cause, "1950-03-01")])

    c3_people, c3_deaths = _deaths([(1, "2024-03-31", cause, "1960-01-01"),
                                    (2, "2024-04-01", cause, "1960-01-01"),
                                    (3, "2025-03-31", cause, "1960-01-01")])

    c4_people, c4_deaths = _deaths([(1, "2024-09-01", cause, "1960-01-01"),
                                    (2, "2024-09-01", edge, "1960-01-01")])

    c5_people, c5_deaths = _deaths([(1, "2024-04-15", cause, "1960-01-01")])

    left = patient(2, born="1960-01-01", registration_end="2024-06-01",
                   date_of_death="2024-10-01")

    # A value: one living patient in each of the 15 bands 0-4 ... 70-74 (ages 2, 7, ..., 72 on
    # 31 March 2025), and 10 deaths on 1 October 2024: five aged 67 (band 65-69), five aged 72
    # (band 70-74). Band 65-69: 5 deaths / (1 + 5) people; band 70-74: 5 / (1 + 5); every other
    # band 0 deaths over 1 person.
    # DSR = (5/6 x 5,500 + 5/6 x 5,000) / 91,000 x 100,000 = 8,750 / 91,000 x 100,000
    #     = 9,615.38 per 100,000; 10 deaths, 15 + 10 = 25 people.
    living = [alive_aged(k + 1, 5 * k + 2) for k in range(15)]
    c6_people, c6_deaths = _deaths(
        [(100 + k, "2024-10-01", cause, "1957-01-01") for k in range(5)]
        + [(200 + k, "2024-10-01", cause, "1952-01-01") for k in range(5)])
    dsr = (5 / 6 * 5500 + 5 / 6 * 5000) / sum(ESP_UNDER_75) * 100_000

    # The age-band breakdown: 60-79 holds bands 60-64, 65-69, 70-74 of the under-75s. A lake
    # with one person aged 30 (band 30-34, outside the group) and, in the group, one person
    # alive in each of 60-64, 65-69, 70-74, five deaths aged 67 and five aged 72.
    # DSR within 60-79 = (0/1 x 6,000 + 5/6 x 5,500 + 5/6 x 5,000) / (6,000 + 5,500 + 5,000)
    #                  x 100,000 = 8,750 / 16,500 x 100,000 = 53,030.30; 10 deaths, 13 people.
    band_people = [alive_aged(1, 30), alive_aged(2, 62), alive_aged(3, 67), alive_aged(4, 72)]
    c7_people, c7_deaths = _deaths(
        [(100 + k, "2024-10-01", cause, "1957-01-01") for k in range(5)]
        + [(200 + k, "2024-10-01", cause, "1952-01-01") for k in range(5)])
    band_dsr = (5 / 6 * 5500 + 5 / 6 * 5000) / (6000 + 5500 + 5000) * 100_000

    return [
        Case(f"A death under 75 with an underlying cause in {chapter} counts; a death from "
             "another cause counts only in the denominator, as someone at risk in the year",
             [alive_aged(1, 60), *c1_people], c1_deaths,
             Expect(1, 3, no_value=True)),
        Case("Under 75 means aged 74 or younger at death, in whole years from the 1st of the "
             "month of birth: born April 1950 and dying on 15 March 2025 is 74 (in), born "
             "March 1950 is 75 (out of numerator and denominator); alive on the period end, "
             "the same births are 74 (in) and 75 (out)",
             [*c2_people, patient(3, born="1950-04-01"), patient(4, born="1950-03-01")],
             c2_deaths, Expect(1, 2, no_value=True)),
        Case("The 12 months run from the day after the same date a year earlier to the period "
             "end inclusive: deaths on 1 April 2024 and 31 March 2025 count for 31 March "
             "2025, a death on 31 March 2024 does not (nor is that person in the denominator)",
             c3_people, c3_deaths, Expect(2, 2, no_value=True)),
        Case(f"Only underlying causes in {chapter} count: a cause just outside the range "
             "counts in the denominator only",
             c4_people, c4_deaths, Expect(1, 2, no_value=True)),
        Case("A death counts for the practice the person was registered with when they died: "
             "someone who left the practice in June 2024 and died in October 2024 is in "
             "neither its numerator nor its denominator",
             [alive_aged(1, 50), left], [death(2, "2024-10-01", cause)],
             Expect(0, 1, no_value=True)),
        Case("Each month of a series looks back 12 months from its own end: a death on 15 "
             "April 2024 counts for 31 March 2025 and drops out for 30 April 2025, when the "
             "dead person leaves the denominator too",
             [alive_aged(2, 50), *c5_people], c5_deaths,
             expect={"2025-03-31": Expect(1, 2, no_value=True),
                     "2025-04-30": Expect(0, 1, no_value=True)}),
        Case("Fewer than 10 deaths give no rate; with 10 deaths and people in every band "
             "0-4 to 70-74, the rate is directly standardised to the ESP2013 weights of those "
             "15 bands (total 91,000): 9,615.4 per 100,000",
             living + c6_people, c6_deaths, Expect(10, 25, dsr)),
        Case("Breakdown by age band: the 60-79 band is standardised over its own ESP2013 "
             "bands (60-64, 65-69, 70-74), whatever other ages the population has: "
             "53,030.3 per 100,000, labelled with the ages it is standardised over",
             band_people + c7_people, c7_deaths,
             Expect(10, 13, band_dsr,
                    method="DSR ESP2013 over the band's own ages 60-74 (Dobson)"), alone=True,
             breakdown="age_band", group="60-79"),
    ]
