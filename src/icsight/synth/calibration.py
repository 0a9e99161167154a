"""Calibration: the figures the synthetic population is built to match, and the check.

Each target is a published figure (with its source) and an SQL query that measures the same
thing from a generated lake, so `icsight synth --check DIR` compares what was generated with
what was aimed at, independently of how the generator works. Queries see the canonical tables
by name and may use `{ref}` (the reference date as a DATE literal) and `{start}` (the first day
of the five-year window).
"""

from __future__ import annotations

from dataclasses import dataclass

from icsight.model.registration import registered_and_alive_sql


@dataclass(frozen=True)
class Target:
    """A published figure the generator aims at, and how to measure it from a lake."""

    id: str
    description: str
    target: float
    tolerance: float  # absolute, in the target's unit
    unit: str
    source: str
    sql: str

    def measure(self, lake) -> float:
        ref = lake.reference_date
        start = lake.manifest["window_start"]
        query = self.sql.format(ref=f"DATE '{ref}'", start=f"DATE '{start}'")
        value = lake.sql(query).iloc[0, 0]
        return float("nan") if value is None else float(value)


@dataclass(frozen=True)
class CheckRow:
    target: Target
    measured: float

    @property
    def ok(self) -> bool:
        return abs(self.measured - self.target.target) <= self.target.tolerance


# Registered people alive and registered on the reference date: the denominator of every
# register prevalence, as QOF uses the practice list size.
REGISTERED = f"SELECT * FROM patients WHERE {registered_and_alive_sql('{ref}')}"


def all_targets() -> list[Target]:
    """Every calibration target, from every generator module."""
    from icsight.synth import modules

    targets: list[Target] = []
    for module in modules():
        targets.extend(getattr(module, "TARGETS", []))
    return targets


def check(lake) -> list[CheckRow]:
    """Measure every target on an open lake."""
    return [CheckRow(t, t.measure(lake)) for t in all_targets()]
