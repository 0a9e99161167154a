"""Shared cases for the four life expectancy indicators (LE_BIRTH_MALE, LE_BIRTH_FEMALE,
LE_65_MALE, LE_65_FEMALE).

Not a spec itself (no INDICATOR): each indicator's module calls `cases(sex, age)`.

The published definition (OHID PHOF A01b, "Life expectancy at birth" / "at 65", by sex):
deaths over person-years at risk (three years pooled; person-years = the three mid-year
populations summed) in an abridged life table of 20 bands (0, 1-4, 5-9, ..., 85-89, 90+),
Chiang's method II, 95% limits by Silcocks et al.; no value for 5,000 person-years or fewer
(PHEindicatormethods `phe_life_expectancy`). The project's documented decisions
(docs/indicators.md, "Life expectancy"): deaths of people registered when they died, in the 36
months to the period end; the registered population on the same day 6, 18 and 30 months
before the period end as the three mid-years; no rows for a period end whose three years begin
before the lake's history.

For the period end 31 March 2025 the three years run from 1 April 2022; the mid-years are 30
September 2022, 2023 and 2024. Everyone is born in June (or January), so their age on each
mid-year is plain.

The hand-worked life table (the value cases). 1,700 people born June 1982 (40, 41, 42 on the
mid-years: band 40-44, 3 person-years each, 5,100); one person in each other band from 1-4 to
85-89, of ages within it on all three mid-years (3 person-years each: 17 x 3 = 51); a baby born
in June 2024 (band 0, 1 person-year); two people born January 1930 (92-94 on the mid-years,
band 90+, 3 person-years each = 6) who die on 15 January 2025 aged 95. Deaths: 2, both 90+.

Every band but the last has no deaths, so q = 0, everyone survives to 90 (l = 100,000 in every
band) and each band lives its width x 100,000 years: 90 x 100,000 before 90. The last band
lives l / m = 100,000 x P / D = 100,000 x 6 / 2 = 300,000. So e0 = (9,000,000 + 300,000) /
100,000 = **93.0** years, and e65 = (25 x 100,000 + 300,000) / 100,000 = **28.0** years.
Silcocks' variance comes from the last band only (s2 = 4 / (D m^2), weight (l / 2)^2 s2), so
se = P / (D sqrt(D)) = 6 / (2 x 1.41421) = 2.12132 at both ages: 95% limits 93.0 +- 4.1577
(88.842 to 97.158) and 28.0 +- 4.1577. Person-years: 5,100 + 51 + 1 + 6 = 5,158 at birth (more
than 5,000, so a value); at 65 and over, the 65-69 ... 85-89 people (15) and the 90+ (6) = 21.
"""

from __future__ import annotations

from tests.spec.harness import Case, Expect
from tests.spec.rows import death, patient

#: The two ages' values, numerators and denominators in the value lake (worked above).
VALUE = {0: (93.0, 2, 5158), 65: (28.0, 2, 21)}
SE = 6 / (2 * 2 ** 0.5)


def _other(sex: str) -> str:
    return "female" if sex == "male" else "male"


def died(pid: int, date: str, born: str, sex: str, **fields) -> tuple[dict, dict]:
    """A patient who died on `date` (their registration ending that day), and the death."""
    end = fields.pop("registration_end", date)
    return (patient(pid, born=born, sex=sex, date_of_death=date, registration_end=end,
                    **fields), death(pid, date, "I219"))


def value_lake(sex: str) -> tuple[list[dict], list[dict]]:
    """The hand-worked life table's patients and deaths (module docstring)."""
    people = [patient(k, born="1982-06-01", sex=sex) for k in range(1, 1701)]
    starts = [1, *[s for s in range(5, 90, 5) if s != 40]]
    people += [patient(2000 + s, born=f"{2020 - (s if s > 1 else 0)}-06-01", sex=sex)
               for s in starts]
    people.append(patient(3000, born="2024-06-01", sex=sex, registration_start="2024-06-01"))
    pairs = [died(4000 + k, "2025-01-15", "1930-01-01", sex) for k in range(2)]
    return people + [p for p, _ in pairs], [d for _, d in pairs]


def cases(sex: str, age: int) -> list[Case]:
    other = _other(sex)
    at = "at birth" if age == 0 else "at 65"
    value, deaths, years = VALUE[age]
    people, deaths_rows = value_lake(sex)
    breakdown, group = ("icb", "BLMK") if age == 0 else ("place", "Bedford Borough")

    # who counts among the deaths (all born 1950 unless said: 72-74 on the mid-years)
    a = died(1, "2022-04-01", "1950-01-01", sex)          # first day of the three years: in
    b = died(2, "2022-03-31", "1950-01-01", sex)          # the day before: out
    c = died(3, "2024-01-01", "1950-01-01", sex, registration_end="2023-01-01")  # had left
    d = died(4, "2024-01-01", "1950-01-01", other)        # the other sex
    f = died(6, "2024-01-01", "1959-06-01", sex)          # aged 64 at death (63, 64 mid-years)
    e = patient(5, born="1950-01-01", sex=sex)            # alive: 3 person-years
    # at birth: deaths a, f = 2; person-years c 1 (registered on 30 Sep 2022 only), e 3, f 2
    # at 65: death a = 1; person-years c 1, e 3 (f was under 65 on both of their mid-years)
    who = (2, 6) if age == 0 else (1, 4)

    # person-years on the mid-years
    g = patient(1, born="1950-01-01", sex=sex, registration_start="2023-10-01")  # 1
    h = died(2, "2024-09-30", "1950-01-01", sex)    # died on a mid-year: 2; the death counts
    i = patient(3, born="1950-01-01", sex=sex, registration_start="2024-09-30")  # 1
    j = patient(4, born="1959-06-01", sex=sex)      # 63, 64, 65: 3 at birth, 1 at 65+
    k = patient(5, born="2024-06-01", sex=sex, registration_start="2024-06-01")  # 0 aged 0: 1
    # registrations that cannot or can only partly count (born 1950, 65+ on every mid-year)
    unknown = patient(6, born="1950-01-01", sex=sex, registration_start=None)  # never: 0
    left = patient(7, born="1950-01-01", sex=sex, registration_end="2022-09-30")  # 0: it ended
    # on the first mid-year; registered on the first two mid-years, having left between the
    # last two: 2
    moved = patient(8, born="1950-01-01", sex=sex, registration_end="2023-10-01")
    mid = (1, 1 + 2 + 1 + 3 + 1 + 2) if age == 0 else (1, 1 + 2 + 1 + 1 + 2)

    # the window rule is the same code at either age: stated once, in the at-birth specs
    window = [] if age else [
        Case("A period end whose three years begin before the lake's history (1 April 2019 "
             "here) has no rows: 28 February 2022 (its years from 1 March 2019), none; 31 "
             "March 2022, three person-years of someone alive on 30 September 2019, 2020 and "
             "2021",
             [patient(1, born="1950-01-01", sex=sex)], [],
             expect={"2022-02-28": Expect(0, 0), "2022-03-31": Expect(0, 3, no_value=True)},
             alone=True)]
    return [
        Case(f"Life expectancy {at} from an abridged life table (Chiang II) of three years of "
             "deaths over person-years: with 5,158 person-years and two deaths, both at 90+ "
             f"(the life table worked by hand in the module docstring), {value:g} years, "
             f"for the {group if breakdown != 'icb' else 'ICB'} as for every group "
             "holding these people",
             people, deaths_rows, Expect(deaths, years, value), alone=True,
             breakdown=breakdown, group=group),
        Case("Deaths count in the 36 months to the period end (from 1 April 2022 for 31 March "
             "2025; a death on 31 March 2022 does not), of people registered when they died (not "
             "someone who had left), of the indicator's sex only"
             + ("" if age == 0 else ", aged 65 or over at death")
             + "; with too few person-years there is no value",
             [e, *(p for p, _ in (a, b, c, d, f))], [r for _, r in (a, b, c, d, f)],
             Expect(*who, no_value=True), alone=True),
        Case("Person-years are the registered population on each of the three mid-years (30 "
             "September 2022, 2023, 2024), at their age then: joining after a mid-year, or on "
             "it, counts from that mid-year; dying on a mid-year does not count for it (the "
             "death does); a baby counts from its first mid-year"
             + ("" if age == 0 else "; someone 65 only on the last mid-year counts once")
             + "; no registration start never counts, a registration ending on a mid-year "
             "does not count for it, and one ending between mid-years counts for those before",
             [g, h[0], i, j, k, unknown, left, moved], [h[1]], Expect(*mid, no_value=True),
             alone=True),
        *window,
    ]


def source(at: str) -> str:
    """The published definition the four life expectancy specs follow (`at`: "birth" or
    "65")."""
    return (f"OHID Public Health Outcomes Framework A01b 'Life expectancy at {at}' (Fingertips "
            "https://fingertips.phe.org.uk/profile/public-health-outcomes-framework: three "
            "years of deaths over the three mid-year populations, abridged life table 0, 1-4, "
            "..., 85-89, 90+, Chiang II with Silcocks et al. 95% limits, no value at 5,000 "
            "person-years or fewer, as PHEindicatormethods phe_life_expectancy); the "
            "registered population and the mid-year days follow the project's documented "
            "decision in docs/indicators.md ('Life expectancy')")
