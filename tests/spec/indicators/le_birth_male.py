"""LE_BIRTH_MALE: life expectancy at birth, males (PHOF A01b), three years pooled.

Deaths of males registered when they died, in the 36 months to the period end, over
person-years (the registered population on the three mid-years, summed), in an abridged life
table to 90+ (Chiang II, Silcocks 95% limits); the cases and the hand-worked life table are in
`_life_expectancy.py`."""

from tests.spec.indicators._life_expectancy import cases, source

INDICATOR = "LE_BIRTH_MALE"
SOURCE = source("birth")

CASES = cases("male", 0)
