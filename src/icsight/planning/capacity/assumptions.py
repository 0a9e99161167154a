"""Capacity assumptions: how activity becomes beds, theatre sessions, clinic sessions and
staff, kept as data (`icsight/data/planning/capacity.toml`) with each figure's source, and
checked against a schema (pydantic) before anything runs.

Every `source` says where its figure comes from and is marked [S] (taken from the source
named) or [E] (our estimate or assumption; the source named is where to check or refine it).
A mistake in a file is a `CapacityAssumptionsError` naming the file, the key path (e.g.
`workforce[1] ('Nurses and midwives').drivers[0].wte_per_unit`) and why, as the demand
scenarios' errors do.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from icsight.model.reference import data_path
from icsight.planning.demand.pods import POD_IDS
from icsight.planning.parameter_files import read, validated

__all__ = ["CAPACITY_MEASURES", "CapacityAssumptions", "CapacityAssumptionsError",
           "Driver", "StaffGroup", "assumptions_from_dict", "load_assumptions",
           "packaged_assumptions"]

#: the capacity figures a staff group's ratio may be per (besides any point of delivery's
#: activity a year): beds at the target occupancy, theatre and clinic sessions a year
CAPACITY_MEASURES = ("beds", "theatre_sessions", "clinic_sessions")


class CapacityAssumptionsError(ValueError):
    """An assumptions file that cannot be used; the message names the file, key and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Strict):
    """A table whose figures carry a `source`, marked [S] or [E]."""

    source: str

    @field_validator("source")
    @classmethod
    def _marked(cls, source: str) -> str:
        if "[S]" not in source and "[E]" not in source:
            raise ValueError("a source must say [S] (taken from the source named) or [E] (our "
                             "estimate or assumption)")
        return source


class Beds(_Sourced):
    """General and acute beds from the bed days of non-elective and elective (overnight)
    admissions."""

    occupancy: float = Field(gt=0, lt=1)
    days_per_year: float = Field(gt=0, le=366)
    #: the occupancies the delay table shows
    delay_table_occupancies: list[float] = Field(min_length=1)
    #: a single ward's beds, for the delay table's second, less pooled, view
    ward_beds: int = Field(ge=1, le=200)

    @field_validator("delay_table_occupancies")
    @classmethod
    def _occupancies(cls, values: list[float]) -> list[float]:
        for value in values:
            if not 0 < value < 1:
                raise ValueError(f"an occupancy must lie strictly between 0 and 1, not {value}")
        return values


class Theatres(_Sourced):
    """Theatre sessions from elective (overnight) and day case admissions."""

    session_hours: float = Field(gt=0, le=12)
    elective_share_in_theatre: float = Field(ge=0, le=1)
    day_case_share_in_theatre: float = Field(ge=0, le=1)
    elective_cases_per_session: float = Field(gt=0)
    day_case_cases_per_session: float = Field(gt=0)


class Clinics(_Sourced):
    """Outpatient clinic slots and sessions from first and follow-up attendances."""

    did_not_attend_rate: float = Field(ge=0, lt=1)
    first_per_session: float = Field(gt=0)
    follow_up_per_session: float = Field(gt=0)


class Driver(_Sourced):
    """One part of a staff group's need: `wte_per_unit` whole-time equivalents for each unit
    of `measure` (a bed, a session a year, or an attendance, admission, ... a year)."""

    measure: str
    wte_per_unit: float = Field(ge=0)

    @field_validator("measure")
    @classmethod
    def _measure(cls, measure: str) -> str:
        known = (*CAPACITY_MEASURES, *POD_IDS)
        if measure not in known:
            raise ValueError(f"unknown measure {measure!r}: a ratio is per one of "
                             f"{', '.join(known)}")
        return measure


class StaffGroup(_Strict):
    name: str
    drivers: list[Driver] = Field(min_length=1)


class CapacityAssumptions(_Strict):
    schema_version: Literal[1]
    name: str
    version: str
    description: str = ""
    beds: Beds
    theatres: Theatres
    clinics: Clinics
    workforce: list[StaffGroup] = Field(min_length=1)

    @field_validator("workforce")
    @classmethod
    def _unique(cls, groups: list[StaffGroup]) -> list[StaffGroup]:
        names = [g.name for g in groups]
        twice = [n for n in names if names.count(n) > 1]
        if twice:
            raise ValueError(f"staff group {twice[0]!r} is named twice")
        return groups


def assumptions_from_dict(raw: dict, source: str = "assumptions") -> CapacityAssumptions:
    """Assumptions from their parsed TOML, or a `CapacityAssumptionsError` listing each
    mistake as `source: key.path: why`."""
    return validated(CapacityAssumptions, raw, source, CapacityAssumptionsError,
                     "capacity assumptions' schema")


def load_assumptions(path: str | Path) -> CapacityAssumptions:
    """Read and check an assumptions file."""
    return assumptions_from_dict(read(path, CapacityAssumptionsError), str(path))


def packaged_assumptions() -> CapacityAssumptions:
    """The packaged assumptions, `icsight/data/planning/capacity.toml`."""
    path = data_path("planning", "capacity.toml")
    return assumptions_from_dict(tomllib.loads(path.read_text(encoding="utf-8")),
                                 "capacity.toml")
