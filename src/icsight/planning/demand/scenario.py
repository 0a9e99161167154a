"""Demand scenarios: versioned parameter files (TOML) checked against a schema (pydantic).

A scenario says which population variant(s) to project with, how much of the life expectancy
gained is spent in good health, each point of delivery's non-demographic growth and the
mitigators (activity avoided), each uncertain parameter as a distribution with its source. The
packaged scenarios are in `icsight/data/planning/scenarios/` (`principal.toml`,
`mitigated.toml`); docs/planning-demand.md describes every field.

A parameter's distribution is given by its 10th and 90th percentiles, the 80% interval the
Strategy Unit's nhp_model asks planners for:

- `normal`: mean (p10 + p90) / 2, standard deviation (p90 - p10) / 2.563 (twice the normal's
  90th percentile, 1.2816);
- `lognormal`: the same on the logarithm (p10 and p90 above 0), for a multiplier that cannot
  fall below 0 and is skewed upwards;
- `fixed`: one value (`value`); a normal or lognormal with p10 equal to p90 is fixed too.

A mistake in a file is a `ScenarioError` whose message names the file, the key path (e.g.
`mitigators[0].reduction.p10`) and why.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from icsight.model.reference import data_path
from icsight.planning.demand.pods import POD_IDS
from icsight.planning.parameter_files import read, validated
from icsight.planning.population import FIRST_YEAR, LAST_YEAR, VARIANTS

__all__ = ["SCHEMA_VERSION", "Distribution", "Fixed", "GrowthGroup", "HealthStatus",
           "LogNormal", "Mitigator", "Normal", "Scenario", "ScenarioError", "load_scenario",
           "packaged_scenario"]

SCHEMA_VERSION = 1
#: twice the standard normal's 90th percentile: an 80% interval is this many sds wide
_P10_P90_SDS = 2 * 1.2815515655446004


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, the key and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fixed(_Strict):
    distribution: Literal["fixed"]
    value: float

    def bounds(self) -> tuple[float, float]:
        return self.value, self.value

    def draw(self, rng: np.random.Generator) -> float:
        return self.value


class _Interval(_Strict):
    """A distribution given by its 10th and 90th percentiles (nhp_model's 80% interval)."""

    p10: float
    p90: float

    @model_validator(mode="after")
    def _ordered(self):
        if self.p10 > self.p90:
            raise ValueError(f"p10 ({self.p10}) is above p90 ({self.p90})")
        return self

    def bounds(self) -> tuple[float, float]:
        return self.p10, self.p90


class Normal(_Interval):
    distribution: Literal["normal"]

    def draw(self, rng: np.random.Generator) -> float:
        sd = (self.p90 - self.p10) / _P10_P90_SDS
        middle = (self.p10 + self.p90) / 2
        return middle if sd == 0 else float(rng.normal(middle, sd))


class LogNormal(_Interval):
    distribution: Literal["lognormal"]
    p10: float = Field(gt=0)
    p90: float = Field(gt=0)

    def draw(self, rng: np.random.Generator) -> float:
        low, high = math.log(self.p10), math.log(self.p90)
        sd = (high - low) / _P10_P90_SDS
        return math.exp((low + high) / 2) if sd == 0 else float(
            math.exp(rng.normal((low + high) / 2, sd)))


Distribution = Annotated[Fixed | Normal | LogNormal, Field(discriminator="distribution")]


def _within(value: Fixed | Normal | LogNormal, low: float, high: float, what: str):
    first, last = value.bounds()
    if first < low or last > high:
        raise ValueError(f"{what} must lie between {low:g} and {high:g}; "
                         f"this one runs from {first:g} to {last:g}")
    return value


class Population(_Strict):
    #: variant id -> probability a run uses it (nhp_model's variant_probabilities)
    variants: dict[str, float]
    source: str = ""

    @field_validator("variants")
    @classmethod
    def _known(cls, variants: dict[str, float]) -> dict[str, float]:
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            raise ValueError(f"unknown variant {unknown[0]!r}: the variants are "
                             f"{', '.join(VARIANTS)}")
        if any(p < 0 for p in variants.values()):
            raise ValueError("a probability cannot be negative")
        if not math.isclose(sum(variants.values()), 1.0, abs_tol=1e-9):
            raise ValueError(f"the probabilities add up to {sum(variants.values()):g}, not 1")
        return variants


class LifeExpectancyGain(_Strict):
    """Years of life expectancy at 65 gained per calendar year, by sex."""

    female: float = Field(ge=0, le=1)
    male: float = Field(ge=0, le=1)
    source: str = ""


class HealthStatus(_Strict):
    """The health-status adjustment: a share of the years of life gained is spent in good
    health, so from `from_age` a person's activity is that of someone younger by that share of
    the gain (nhp_model's health_status_adjustment)."""

    enabled: bool = True
    from_age: int = Field(default=55, ge=0, le=90)
    share_in_good_health: Distribution
    life_expectancy_65_gain_per_year: LifeExpectancyGain
    source: str = ""

    @field_validator("share_in_good_health")
    @classmethod
    def _share(cls, value):
        return _within(value, 0, 1, "a share")


class GrowthGroup(_Strict):
    """Non-demographic growth (a yearly rate: 0.0131 is +1.31% a year) shared by the points of
    delivery in `pods`: one draw per run for the group."""

    name: str
    pods: list[str] = Field(min_length=1)
    rate: Distribution
    source: str

    @field_validator("pods")
    @classmethod
    def _pods(cls, pods: list[str]) -> list[str]:
        return _known_pods(pods)

    @field_validator("rate")
    @classmethod
    def _rate(cls, value):
        return _within(value, -0.5, 0.5, "a yearly growth rate")


class Mitigator(_Strict):
    """Activity avoided: the share `reduction` of the activity of `pods` (people aged
    `ages`, by 5-year band: a band counts when its youngest age is in the range) no longer
    happens, from nothing before `starts` rising in equal steps to the full share in `full_by`
    and after."""

    name: str
    pods: list[str] = Field(min_length=1)
    reduction: Distribution
    ages: tuple[int, int] = (0, 90)
    starts: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    full_by: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    source: str

    @field_validator("pods")
    @classmethod
    def _pods(cls, pods: list[str]) -> list[str]:
        return _known_pods(pods)

    @field_validator("reduction")
    @classmethod
    def _reduction(cls, value):
        return _within(value, 0, 1, "a reduction")

    @field_validator("ages")
    @classmethod
    def _ages(cls, ages: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= ages[0] <= ages[1] <= 90:
            raise ValueError(f"ages {list(ages)} must run upwards within 0 to 90")
        return ages

    @model_validator(mode="after")
    def _ramp(self):
        if self.full_by < self.starts:
            raise ValueError(f"full_by ({self.full_by}) is before starts ({self.starts})")
        return self

    def share_in(self, year: int) -> float:
        """How much of the reduction applies in `year`: 0 before `starts`, then rising in
        equal steps to 1 in `full_by`."""
        if year < self.starts:
            return 0.0
        return min(1.0, (year - self.starts + 1) / (self.full_by - self.starts + 1))


def _known_pods(pods: list[str]) -> list[str]:
    unknown = [p for p in pods if p not in POD_IDS]
    if unknown:
        raise ValueError(f"unknown point of delivery {unknown[0]!r}: the points of delivery "
                         f"are {', '.join(POD_IDS)}")
    if len(set(pods)) != len(pods):
        raise ValueError("a point of delivery is named twice")
    return pods


class Scenario(_Strict):
    schema_version: Literal[1]
    name: str
    version: str
    description: str = ""
    horizon: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    #: "poisson": each run's activity is a Poisson draw around its expected value (the chance
    #: variation of counts, as nhp_model resamples); "none": the expected value itself
    random_variation: Literal["poisson", "none"] = "poisson"
    population: Population
    health_status: HealthStatus
    non_demographic_growth: list[GrowthGroup]
    mitigators: list[Mitigator] = []

    @model_validator(mode="after")
    def _every_pod_grows_once(self):
        seen: dict[str, str] = {}
        for group in self.non_demographic_growth:
            for pod in group.pods:
                if pod in seen:
                    raise ValueError(f"{pod!r} is in two non_demographic_growth groups "
                                     f"({seen[pod]!r} and {group.name!r})")
                seen[pod] = group.name
        missing = [p for p in POD_IDS if p not in seen]
        if missing:
            raise ValueError(f"non_demographic_growth has no group for {missing[0]!r}: give "
                             "every point of delivery a rate (a fixed 0 if none is known)")
        return self

    def growth_group_of(self, pod: str) -> int:
        for i, group in enumerate(self.non_demographic_growth):
            if pod in group.pods:
                return i
        raise KeyError(pod)  # pragma: no cover - the validator guarantees a group


def scenario_from_dict(raw: dict, source: str = "scenario") -> Scenario:
    """A scenario from its parsed TOML, or a `ScenarioError` listing each mistake as
    `source: key.path: why`."""
    return validated(Scenario, raw, source, ScenarioError, "scenario schema")


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file."""
    return scenario_from_dict(read(path, ScenarioError), str(path))


def packaged_scenario(name: str) -> Scenario:
    """One of the packaged scenarios by file name without `.toml` (`principal`, `mitigated`)."""
    path = data_path("planning", "scenarios", f"{name}.toml")
    if not path.is_file():
        raise ScenarioError(f"no packaged scenario {name!r}")
    return scenario_from_dict(tomllib.loads(path.read_text(encoding="utf-8")), f"{name}.toml")
