"""What every part of the generator shares: the population, the dates, and random streams.

Dates are held as integer day numbers (days since 1970-01-01, the Arrow `date32` encoding) so
that whole columns are generated with numpy. `NO_DATE` stands for "no date" (alive, still
registered) in the arrays and becomes null when written.

Each generator module draws from its own random stream, named after the module, so adding a
draw in one module never changes what another module generates: the output is deterministic
for a seed and stable as the generator grows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from icsight.model.schema import table

EPOCH = dt.date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).max
DAYS_PER_YEAR = 365.25
#: The population the whole of BLMK is scaled to by default: the people registered with BLMK
#: practices on the default reference date, 30 September 2026. NHS Digital's Patients Registered
#: at a GP Practice counted 1,047,296 on 1 January 2021 and 1,146,928 on 1 April 2026 [S];
#: growing at the same rate (1.75% a year) for six more months gives 1,156,871
#: (`registered_lists.published_list`, checked by a test). Residents are fewer (ONS projects
#: 1,060,866 for mid-2026): GP lists run above them, as they do everywhere.
BLMK_POPULATION = 1_156_871
HISTORY_YEARS = 5


def day(value: dt.date | str) -> int:
    """Day number of a date (or ISO string)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return (value - EPOCH).days


def date_of(day_number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day_number))


@dataclass
class Condition:
    """Who has a condition (on the register at the reference date) and since when."""

    name: str
    has: np.ndarray  # bool, per person: on the register at the reference date
    diagnosed: np.ndarray  # int32 day of first diagnosis code (NO_DATE if never)
    resolved: np.ndarray  # int32 day of resolution code (NO_DATE if none)

    def recorded_on(self, person: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Whether each person (population index) had the condition in their record on the
        day: diagnosed by then and not yet resolved (or on the register again at the end).

        What a record shows on a day must be read from the dates, not from `has` (the
        register at the reference date): a child who will be diagnosed with asthma at six
        does not have it at two, and coding a toddler's admissions to it then made the
        early window's asthma admissions higher than the late window's.
        """
        diagnosed, resolved = self.diagnosed[person], self.resolved[person]
        return (diagnosed <= days) & ((days < resolved) | self.has[person])


@dataclass
class Population:
    """Everyone ever registered in the window, one array element per person."""

    patient_id: np.ndarray  # int64 pseudonym
    sex: np.ndarray  # int8: 0 female, 1 male
    dob: np.ndarray  # int32 day of birth
    lsoa: np.ndarray  # int32 row of model.reference.lsoas()
    imd_decile: np.ndarray  # int8, 1 = most deprived
    imd_quintile: np.ndarray  # int8
    place: np.ndarray  # int8 index into schema.PLACES
    practice: np.ndarray  # int16 row of model.reference.practices()
    ethnicity_group: np.ndarray  # int8 index into schema.ETHNICITY_GROUPS
    ethnicity_category: np.ndarray  # int8 index into list(schema.ETHNICITY_CATEGORIES)
    registration_start: np.ndarray  # int32 day
    registration_end: np.ndarray  # int32 day or NO_DATE
    death: np.ndarray  # int32 day or NO_DATE
    # float32 latent ill-health (drives multimorbidity): standard normal at birth, lower among
    # the survivors of each older age (`people.survivors_health`)
    health: np.ndarray
    care_home: np.ndarray  # bool
    housebound: np.ndarray  # bool
    conditions: dict[str, Condition] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.patient_id)

    def age_on(self, day_number: int | np.ndarray) -> np.ndarray:
        """Age in whole years on a day (scalar or per-person array)."""
        return ((np.asarray(day_number) - self.dob) / DAYS_PER_YEAR).astype(np.int16)

    @property
    def female(self) -> np.ndarray:
        return self.sex == 0


@dataclass
class SynthContext:
    """The shared state of one generator run."""

    seed: int
    reference_date: int  # day number; the generated record runs up to and including it
    population_target: int
    pop: Population | None = None
    identifiers: pa.Table | None = None  # the identifiable zone, kept apart from `pop`
    smoker: np.ndarray | None = None  # current smokers, set by primary_care for later modules
    died_in_hospital: np.ndarray | None = None  # set by hospital, read by deaths
    # cancer's emergency admissions (columns person, adm, dis), set by cancer, read by hospital
    # so planned admissions avoid them
    cancer_admissions: dict | None = None
    # hospital discharges (columns person, dis, method), set by hospital, read by community
    # (virtual wards step down from them)
    discharges: dict | None = None

    @property
    def window_start(self) -> int:
        """First day of the history (five years before the reference date)."""
        ref = date_of(self.reference_date)
        return day(ref.replace(year=ref.year - HISTORY_YEARS)) + 1

    @property
    def scale(self) -> float:
        """This population as a share of the whole of BLMK (1.0 for the default)."""
        return self.population_target / BLMK_POPULATION

    def rng(self, stream: str) -> np.random.Generator:
        """An independent random stream for one part of the generator."""
        salt = int.from_bytes(hashlib.sha256(stream.encode()).digest()[:8], "big")
        return np.random.default_rng([self.seed, salt])

    def active_end(self) -> np.ndarray:
        """Per person, the last day they are in the record: reference date, leaving or death."""
        p = self.pop
        return np.minimum(np.minimum(p.registration_end, p.death), self.reference_date)

    def in_record(self, person: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Which events (person index, day) fall while that person is alive and registered."""
        p = self.pop
        return (
            (days >= self.window_start)
            & (days >= p.dob[person])
            & (days >= p.registration_start[person])
            & (days <= self.active_end()[person])
        )


def _winter_weight(days: np.ndarray, winter_peak: float) -> np.ndarray:
    """Acceptance probability peaking mid-January: (1 + peak cos(day of year)) / (1 + peak)."""
    doy = (days - day("2000-01-01")) % DAYS_PER_YEAR
    return (1 + winter_peak * np.cos(2 * np.pi * (doy - 15) / DAYS_PER_YEAR)) / (1 + winter_peak)


def seasonal_days(
    rng: np.random.Generator, n: int, start: int, end: int, winter_peak: float = 0.0
) -> np.ndarray:
    """`n` random days in [start, end], more of them in winter when `winter_peak` > 0.

    The density is proportional to 1 + winter_peak * cos(2*pi*(day_of_year - 15)/365.25), so
    `winter_peak=0.15` puts mid-January 15% above the yearly average and mid-July 15% below.
    """
    if n == 0:
        return np.empty(0, dtype=np.int32)
    days = rng.integers(start, end + 1, size=int(n * (1 + winter_peak) * 1.1) + 16)
    if winter_peak > 0:
        days = days[rng.random(len(days)) < _winter_weight(days, winter_peak)]
    while len(days) < n:  # rare top-up; keeps the function exact in n
        days = np.concatenate([days, seasonal_days(rng, n - len(days), start, end, winter_peak)])
    return days[:n].astype(np.int32)


def pick_days_for(
    rng: np.random.Generator, people: np.ndarray, rate_per_year: np.ndarray, start: np.ndarray,
    end: np.ndarray, winter_peak: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson process of events for each person between their own start and end days.

    Returns (person index, day) arrays. `rate_per_year`, `start` and `end` are per element of
    `people`.
    """
    span = np.maximum(end - start + 1, 0)
    # With a winter peak, draw (1 + peak) times as many and thin them by season below, which
    # keeps the yearly mean at `rate_per_year`.
    counts = rng.poisson(rate_per_year * (1 + winter_peak) * span / DAYS_PER_YEAR)
    who = np.repeat(people, counts)
    lo = np.repeat(start, counts)
    hi = np.repeat(end, counts)
    days = lo + (rng.random(len(who)) * (hi - lo + 1)).astype(np.int32)
    if winter_peak > 0 and len(days):
        keep = rng.random(len(days)) < _winter_weight(days, winter_peak)
        who, days = who[keep], days[keep]
    return who.astype(np.int64), days.astype(np.int32)


def pick_days_at_age(
    rng: np.random.Generator, pop: Population, people: np.ndarray,
    rate_at_age: Callable[[np.ndarray, np.ndarray], np.ndarray], top: np.ndarray,
    start: np.ndarray, end: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Like `pick_days_for`, at a yearly rate that depends on each person's age on the day.

    `rate_at_age(person, age)` gives the rate of a person (population index) at an exact age in
    years; `top` (per element of `people`) must be at least their highest rate between `start`
    and `end`. Events are drawn at `top` and thinned to the rate on the day. A rate read at
    one age for the whole record (the age at its end, say) would give everyone an older
    person's rate early in the window, so the series would drift as the window goes on.
    """
    person, days = pick_days_for(rng, people, top, start, end)
    ceiling = np.zeros(pop.n)
    ceiling[people] = top
    rate = rate_at_age(person, (days - pop.dob[person]) / DAYS_PER_YEAR)
    keep = rng.random(len(person)) * ceiling[person] < rate
    return person[keep], days[keep]


def to_table(name: str, columns: dict[str, object]) -> pa.Table:
    """Build canonical table `name` from numpy/python columns, day numbers becoming dates.

    Integer day columns equal to NO_DATE become nulls, as do NaN floats and None values.
    """
    spec = table(name)
    arrays = []
    for col in spec.columns:
        values = columns[col.name]
        if pa.types.is_date32(col.type) and isinstance(values, np.ndarray):
            mask = values == NO_DATE
            arr = pa.array(values.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())
        elif pa.types.is_timestamp(col.type) and isinstance(values, np.ndarray):
            # timestamps are given in seconds since the epoch
            per_second = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}[col.type.unit]
            arr = pa.array(values.astype(np.int64) * per_second, type=pa.int64()).cast(col.type)
        elif isinstance(values, pa.Array | pa.ChunkedArray):
            arr = values.cast(col.type)
        elif isinstance(values, np.ndarray) and values.dtype.kind == "f":
            arr = pa.array(values, type=col.type, from_pandas=True)
        else:
            arr = pa.array(values, type=col.type)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def categorical(codes: list[str] | tuple[str, ...], index: np.ndarray) -> pa.Array:
    """A string column from an index into a small list of values (dictionary-decoded)."""
    dictionary = pa.array(list(codes), type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), dictionary).cast(
        pa.string()
    )
