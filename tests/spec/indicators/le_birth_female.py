"""LE_BIRTH_FEMALE: life expectancy at birth, females (PHOF A01b), three years pooled.

Deaths of females registered when they died, in the 36 months to the period end, over
person-years (the registered population on the three mid-years, summed), in an abridged life
table to 90+ (Chiang II, Silcocks 95% limits); the cases and the hand-worked life table are in
`_life_expectancy.py`."""

from tests.spec.indicators._life_expectancy import cases

INDICATOR = "LE_BIRTH_FEMALE"
SOURCE = ("OHID Public Health Outcomes Framework A01b 'Life expectancy at birth' (Fingertips "
          "https://fingertips.phe.org.uk/profile/public-health-outcomes-framework: three years "
          "of deaths over the three mid-year populations, abridged life table 0, 1-4, ..., "
          "85-89, 90+, Chiang II with Silcocks et al. 95% limits, no value at 5,000 "
          "person-years or fewer, as PHEindicatormethods phe_life_expectancy); the registered "
          "population and the mid-year days follow the project's documented decision in "
          "docs/indicators.md ('Life expectancy')")

CASES = cases("female", 0)
