"""The synthetic BLMK population: people, their conditions and five years of care records.

`generate(...)` builds a whole lake; `build_context(...)` builds just the people and their
conditions, which tests use to exercise one generator module on a small population.

Generator modules each own some canonical tables. A module exposes
`generate(ctx) -> dict[str, pyarrow.Table]` and a list `TARGETS` of calibration targets.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Modules that add records to a population that already has its people and conditions,
#: in the order they run. Each draws from its own random stream.
RECORD_MODULES = (
    "primary_care",
    "vaccinations",
    "screening",
    "cancer",  # before hospital, which books planned admissions around its emergency spells
    "hospital",
    "community",
    "maternity",
    "mental_health",
    "autism",
    "mh_inpatient",
    "neighbourhood",  # care homes, housebound, palliative care, frailty and eFI deficits
    "deaths",
)

DEFAULT_REFERENCE_DATE = "2026-09-30"


def modules() -> list[ModuleType]:
    """Every generator module, people and conditions first."""
    names = ("people", "conditions", *RECORD_MODULES)
    return [importlib.import_module(f"icsight.synth.{n}") for n in names]


def build_context(population: int, seed: int = 1, reference_date: str = DEFAULT_REFERENCE_DATE,
                  key: bytes | None = None):
    """A generator context with its people and their conditions, ready for record modules."""
    from icsight.synth.conditions import assign_conditions
    from icsight.synth.context import SynthContext, day
    from icsight.synth.people import build_population

    ctx = SynthContext(seed=seed, reference_date=day(reference_date),
                       population_target=population)
    build_population(ctx, key=key or b"icsight-test-key-not-for-real-data!!")
    assign_conditions(ctx)
    return ctx
