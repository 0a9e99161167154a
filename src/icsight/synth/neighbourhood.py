"""The records behind the neighbourhood cohorts: care homes, housebound people, the palliative
care register, coded frailty and the Electronic Frailty Index's deficits.

Every record follows a fact the generator already holds, so the codes agree with the rest of
the lake:

* **Care home residents** (the `care_home` person flag) get a residence code from PRIMIS
  LONGRES (also in CAREHOME_COD): "Lives in a nursing home", "... residential home", "... care
  home", dated when they moved in (years before the end of their record, [E]).
* **Housebound people** (the `housebound` flag) get a housebound code (OpenSAFELY housebound
  list, also the eFI's housebound deficit). Some people who are not housebound now were once:
  a housebound code followed by "No longer housebound" ([E]: one for every ten housebound).
* **The palliative care register** (QOF PC001, PALCARE_COD): people approaching the end of
  life. The generator knows who dies in the window: a share of them join the register months
  to years before they die. People alive at the reference date join it in proportion to their
  risk of dying (age, deprivation, ill-health: `people.mortality_risk`), as many as keep the
  register at its published prevalence on every date of the window (see `_palliative`).
* **eFI deficits** (Clegg et al., Age Ageing 2016; the 35 coded deficits of
  `efi_deficits_snomed.csv`): everyone 60+ at the end of their record is given a number of
  deficits from an over-dispersed count rising with age and ill-health; the deficits the
  record already carries (hypertension, diabetes, CKD, heart failure, asthma or COPD,
  dementia, housebound) count towards it, and the rest are drawn from the other deficits in
  proportion to how common each is ([E]), dated between age 55 and the end of the record. The
  scale is set so that the eFI categories of the registered 65+ land on the published shares
  (fit ~50%, mild ~35%, moderate ~12%, severe ~3%: clinical-indicators note section 1.5 and
  4.5) and moderate-or-severe rises with age.
* **Coded frailty** (MILDFRAIL/MODFRAIL/SEVFRAIL_COD): practices are asked to code frailty
  found with the eFI (GMS contract, from 2017 [K]); some of the 65+ with mild, moderate or
  severe eFI have the matching code in the last three years, some a category lower (coded
  before they became frailer) and a few a category higher (a clinical assessment found
  more than the eFI's codes show) [E].

Codes written here that also sit in another project codelist (a register's, a check's) are
left out of the deficit draws, so no indicator counts a deficit as a diagnosis.
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np
import pyarrow as pa

from icsight.model.codelists import codelist
from icsight.model.reference import data_path
from icsight.synth.calibration import REGISTERED, Target
from icsight.synth.context import DAYS_PER_YEAR, NO_DATE, SynthContext, to_table
from icsight.synth.people import mortality_risk

STREAM = "neighbourhood"

#: Residence codes for care home residents (in both LONGRES and CAREHOME_COD), and their mix.
CARE_HOME_CODES = (("160734000", 0.35), ("394923006", 0.30), ("248171000000108", 0.35))
#: Years since moving into the care home: exponential with this mean (median stay about
#: two years, [E]).
CARE_HOME_YEARS = 2.5
HOUSEBOUND_CODE, NO_LONGER_HOUSEBOUND_CODE = "160689007", "760661000000106"
HOUSEBOUND_YEARS = 2.0  # years since first coded housebound, exponential mean [E]
FORMERLY_HOUSEBOUND = 0.10  # people no longer housebound, per housebound person [E]
#: Palliative care register codes, with their mix [E].
PALLIATIVE_CODES = (("1403151000000103", 0.4), ("103735009", 0.3), ("414937009", 0.3))
#: Time on the register before death for the people who die: most join in their last months,
#: some a year or more before (ResearchOne, people 75+ who died in 2015: 12.6% on the
#: register, 3.5% for 12 months or more; Stow et al., BJGP 2020 [S]). A mix of exponentials:
#: (share, mean days) [E].
PALLIATIVE_LEAD = ((0.7, 100.0), (0.3, 700.0))
#: QOF palliative care register, England: about 0.4-0.5% of registered patients [K].
PALLIATIVE_PREVALENCE = 0.0045
#: Coded frailty: chance of a code by eFI category (mild, moderate, severe); of the code being
#: one category lower than the eFI now (coded before they became frailer), or one higher (a
#: clinical assessment found more than the eFI's codes show) [E].
FRAILTY_CODES = ("925791000000100", "925831000000107", "925861000000102")
FRAILTY_CODED = (0.25, 0.45, 0.55)
FRAILTY_CODED_LOWER, FRAILTY_CODED_HIGHER = 0.15, 0.08

#: eFI deficits the record already carries through the condition registers and the flags.
CONDITION_DEFICITS = {"hypertension": ("hypertension",), "diabetes": ("diabetes",),
                      "ckd": ("ckd",), "heart-failure": ("heart_failure",),
                      "respiratory-disease": ("asthma", "copd"),
                      "cognitive-problems": ("dementia",)}
#: The other coded deficits and how common each is among people 65+, relative ([E], in the
#: order of Clegg et al. 2016's table of deficit prevalence: arthritis, sensory loss, falls,
#: urinary problems, heart disease most common; Parkinsonism, valve disease rarest).
DEFICIT_WEIGHTS = {
    "arthritis": 0.40, "hearing-loss": 0.25, "vision-problems": 0.25, "falls": 0.15,
    "urinary-system-disease": 0.15, "dizziness": 0.15, "dyspnoea": 0.15, "chd": 0.15,
    "anaemia": 0.15, "sleep-disturbance": 0.15, "urinary-incontinence": 0.12,
    "peptic-ulcer": 0.12, "atrial-fibrillation": 0.10, "osteoporosis": 0.10,
    "thyroid-disorders": 0.10, "foot-problems": 0.10, "stroke-tia": 0.08,
    "fragility-fracture": 0.08, "mobility-problems": 0.08, "hypotension": 0.08,
    "skin-ulcer": 0.07, "social-vulnerability": 0.07, "weight-loss": 0.05, "pvd": 0.04,
    "heart-valve-disease": 0.04, "care-requirement": 0.04, "activity-limitation": 0.03,
    "parkinsons": 0.02,
}
#: Mean number of deficits by age (before the ill-health factor), over-dispersion of the count
#: (negative binomial shape) and the loading of ill-health: tuned so that the registered 65+
#: land on the published category shares [E].
DEFICIT_AGES = (60, 65, 70, 75, 80, 85, 90, 95)
DEFICIT_MEANS = (2.4, 3.5, 4.2, 5.0, 6.2, 7.9, 9.4, 10.4)
DEFICIT_SHAPE = 12.0
DEFICIT_HEALTH = 0.35


@cache
def efi_codes() -> dict[str, list[str]]:
    """Deficit -> its SNOMED CT codes (efi_deficits_snomed.csv)."""
    out: dict[str, list[str]] = {}
    with data_path("codelists", "efi_deficits_snomed.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["deficit"], []).append(row["code"])
    return out


@cache
def _deficit_code_choices() -> dict[str, list[str]]:
    """Codes to write for each drawn deficit: its own codes that no other project codelist
    holds (so a drawn "chd" code never puts anyone on a register)."""
    folder = data_path("codelists", "x").parent
    others: set[str] = set()
    for path in folder.glob("*.csv"):
        if path.stem != "efi_deficits_snomed":
            others |= set(codelist(path.stem).codes)
    return {d: [c for c in codes if c not in others] for d, codes in efi_codes().items()}


class _Events:
    def __init__(self) -> None:
        self.people: list[np.ndarray] = []
        self.days: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []

    def add(self, people: np.ndarray, days: np.ndarray, codes) -> None:
        self.people.append(np.asarray(people, np.int64))
        self.days.append(np.asarray(days, np.int32))
        self.codes.append(np.broadcast_to(np.asarray(codes, dtype=object), len(people)))


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """Care home, housebound, palliative care, frailty and eFI deficit codes."""
    rng = ctx.rng(STREAM)
    p = ctx.pop
    end = ctx.active_end().astype(np.int64)
    events = _Events()
    _care_homes(rng, ctx, end, events)
    formerly = _housebound(rng, ctx, end, events)
    _palliative(rng, ctx, end, events)
    count = _deficits(rng, ctx, end, formerly, events)
    _frailty_codes(rng, ctx, end, count, events)
    person = np.concatenate(events.people)
    return {"clinical_events": to_table("clinical_events", {
        "patient_id": p.patient_id[person],
        "date": np.concatenate(events.days),
        "snomed_code": np.concatenate(events.codes),
        "numeric_value": np.full(len(person), np.nan),
    })}


def _back_from(rng, end: np.ndarray, floor: np.ndarray, mean_years: float) -> np.ndarray:
    """A day an exponential time (mean in years) before `end`, not before `floor`."""
    back = rng.exponential(mean_years * DAYS_PER_YEAR, len(end))
    return np.clip(end - back, floor, end).astype(np.int32)


def _pick(rng, choices: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    codes, shares = zip(*choices, strict=True)
    return np.asarray(codes, object)[rng.choice(len(codes), n, p=np.asarray(shares))]


def _care_homes(rng, ctx: SynthContext, end, events: _Events) -> None:
    p = ctx.pop
    who = np.flatnonzero(p.care_home)
    floor = p.dob[who] + int(60 * DAYS_PER_YEAR)
    events.add(who, _back_from(rng, end[who], floor, CARE_HOME_YEARS),
               _pick(rng, CARE_HOME_CODES, len(who)))


def _housebound(rng, ctx: SynthContext, end, events: _Events) -> np.ndarray:
    """Housebound codes; returns who was once housebound but is no longer."""
    p = ctx.pop
    who = np.flatnonzero(p.housebound)
    floor = p.dob[who] + int(50 * DAYS_PER_YEAR)
    events.add(who, _back_from(rng, end[who], floor, HOUSEBOUND_YEARS), HOUSEBOUND_CODE)
    # Once housebound (after an operation, an illness), later no longer: drawn like the
    # housebound, from older and iller people.
    age = p.age_on(end)
    weight = np.where(p.housebound | p.care_home | (age < 65), 0.0,
                      np.exp(0.6 * p.health) * np.interp(age, [65, 85], [1, 4]))
    n = min(round(len(who) * FORMERLY_HOUSEBOUND), int((weight > 0).sum()))
    formerly = np.zeros(p.n, bool)
    if n:
        back = rng.choice(p.n, n, replace=False, p=weight / weight.sum())
        first = _back_from(rng, end[back], p.dob[back] + int(60 * DAYS_PER_YEAR), 2.0)
        later = first + (rng.random(n) * np.maximum(end[back] - first, 1)).astype(np.int32)
        events.add(back, first, HOUSEBOUND_CODE)
        events.add(back, np.minimum(later, end[back]), NO_LONGER_HOUSEBOUND_CODE)
        formerly[back] = True
    return formerly


def _palliative(rng, ctx: SynthContext, end, events: _Events) -> None:
    """The palliative care register, held at its published prevalence on every date.

    The register on a day holds the people who joined before it and have not died: people who
    die in the window (joined a lead time before death) and people still alive at the end. At
    a steady state the register holds deaths a day x share on the register x mean lead time,
    so the share of the people dying who are on it is set from the prevalence; the living on
    it at the end joined a lead time before a death still to come, which (for exponential
    lead times) is the same exponential before the reference date, each component weighted
    by its mean (a register in a steady state holds long stayers in proportion to their
    stay).
    """
    p = ctx.pop
    ref, start = ctx.reference_date, ctx.window_start
    years = (ref - start) / DAYS_PER_YEAR
    registered = ((p.registration_start <= ref) & (p.registration_end > ref) & (p.death > ref))
    shares = np.array([s for s, _ in PALLIATIVE_LEAD])
    means = np.array([m for _, m in PALLIATIVE_LEAD])
    died = np.flatnonzero((p.death >= start) & (p.death <= ref))
    deaths_per_day = len(died) / (years * DAYS_PER_YEAR)
    on_register = PALLIATIVE_PREVALENCE * registered.sum()
    share = min(on_register / max(deaths_per_day * float(shares @ means), 1e-9), 0.9)
    # the people who die: a share join the register, a lead time before death
    joins = died[rng.random(len(died)) < share]
    lead = rng.exponential(means[rng.choice(len(means), len(joins), p=shares)])
    floor = np.maximum(p.registration_start[joins], p.dob[joins])
    day_joined = np.clip(p.death[joins] - lead, floor, p.death[joins]).astype(np.int32)
    events.add(joins, day_joined, _pick(rng, PALLIATIVE_CODES, len(joins)))
    # the living at the end: by their risk of dying, joined a length-biased lead time before
    alive = np.flatnonzero(registered)
    age = p.age_on(ref)[alive]
    risk = mortality_risk(age, p.imd_decile[alive], p.health[alive])
    n = min(round(on_register), len(alive))
    chosen = rng.choice(alive, n, replace=False, p=risk / risk.sum())
    biased = shares * means / (shares @ means)
    back = rng.exponential(means[rng.choice(len(means), n, p=biased)])
    floor = np.maximum(p.registration_start[chosen], p.dob[chosen])
    events.add(chosen, np.clip(ref - back, floor, ref).astype(np.int32),
               _pick(rng, PALLIATIVE_CODES, n))


def _existing_deficits(ctx: SynthContext, formerly: np.ndarray) -> np.ndarray:
    """Per person, a (people x deficits-in-CONDITION_DEFICITS+housebound) count of the
    deficits already in the record by its end: a diagnosis ever coded, or a housebound code."""
    p = ctx.pop
    count = np.zeros(p.n, np.int16)
    for conditions in CONDITION_DEFICITS.values():
        ever = np.zeros(p.n, bool)
        for name in conditions:
            ever |= p.conditions[name].diagnosed != NO_DATE
        count += ever
    count += p.housebound | formerly
    return count


def _deficits(rng, ctx: SynthContext, end, formerly, events: _Events) -> np.ndarray:
    """Draw the other deficits; returns each person's total deficit count at the end."""
    p = ctx.pop
    age_end = (end - p.dob) / DAYS_PER_YEAR
    existing = _existing_deficits(ctx, formerly)
    old = np.flatnonzero(age_end >= DEFICIT_AGES[0])
    mean = (np.interp(age_end[old], DEFICIT_AGES, DEFICIT_MEANS)
            * np.exp(DEFICIT_HEALTH * p.health[old] - DEFICIT_HEALTH**2 / 2))
    # negative binomial as a gamma-Poisson mixture
    total = rng.poisson(mean * rng.gamma(DEFICIT_SHAPE, 1 / DEFICIT_SHAPE, len(old)))
    extra = np.maximum(total - existing[old], 0)
    names = list(DEFICIT_WEIGHTS)
    extra = np.minimum(extra, len(names))
    # k distinct deficits per person, each by its weight: the k largest of log(w) + Gumbel
    keys = np.log(np.array([DEFICIT_WEIGHTS[d] for d in names]))[None, :] + rng.gumbel(
        size=(len(old), len(names)))
    order = np.argsort(-keys, axis=1)
    chosen = np.arange(len(names))[None, :] < extra[:, None]
    rows, ranks = np.nonzero(chosen)
    person = old[rows]
    deficit = order[rows, ranks]
    # dated between age 55 (or birth of the record's history) and the end of the record
    lo = np.minimum(p.dob[person] + int(55 * DAYS_PER_YEAR), end[person])
    days = (lo + rng.random(len(person)) * (end[person] - lo)).astype(np.int32)
    choices = _deficit_code_choices()
    codes = np.empty(len(person), object)
    for i, name in enumerate(names):
        mine = deficit == i
        pool = np.asarray(choices[name], object)
        codes[mine] = pool[rng.integers(0, len(pool), mine.sum())]
    events.add(person, days, codes)
    count = existing.astype(np.int32)
    np.add.at(count, person, 1)
    return count


def efi_category(deficits: np.ndarray) -> np.ndarray:
    """0 fit (0-4 deficits), 1 mild (5-8), 2 moderate (9-13), 3 severe (14+): eFI = n/36 with
    cut-offs 0.12, 0.24, 0.36 (Clegg et al. 2016)."""
    return np.searchsorted(np.array([4, 8, 13]), deficits, side="left").astype(np.int8)


def _frailty_codes(rng, ctx: SynthContext, end, count, events: _Events) -> None:
    p = ctx.pop
    age = p.age_on(end)
    category = efi_category(count)
    for level in (1, 2, 3):
        who = np.flatnonzero((category == level) & (age >= 65)
                             & (rng.random(p.n) < FRAILTY_CODED[level - 1]))
        u = rng.random(len(who))
        higher = (u >= FRAILTY_CODED_LOWER) & (u < FRAILTY_CODED_LOWER + FRAILTY_CODED_HIGHER)
        coded = np.where(u < FRAILTY_CODED_LOWER, level - 1,
                         np.where(higher, min(level + 1, 3), level))
        who, coded = who[coded >= 1], coded[coded >= 1]
        # the first whole day on which age_on() says 65: dob + int(65 * 365.25) is a quarter
        # of a day short of it, and a code drawn on that day was for someone aged 64
        since_65 = p.dob[who] + int(np.ceil(65 * DAYS_PER_YEAR))
        lo = np.maximum(end[who] - int(3 * DAYS_PER_YEAR), since_65)
        days = (lo + rng.random(len(who)) * np.maximum(end[who] - lo, 0)).astype(np.int32)
        events.add(who, days, np.asarray(FRAILTY_CODES, object)[coded - 1])


# --- calibration -------------------------------------------------------------------------

_AGE = ("(date_diff('year', month_of_birth, {ref}) - CASE WHEN strftime(month_of_birth, "
        "'%m%d') > strftime({ref}, '%m%d') THEN 1 ELSE 0 END)")


def _codes_sql(name: str) -> str:
    return ",".join(f"'{c}'" for c in codelist(name).codes)


def _latest_is_sql(wanted: str, against: str | None, min_age: int) -> str:
    """% of registered people aged min_age+ whose latest code among `wanted` (and `against`,
    which cancels it) on or before {ref} is one of `wanted`."""
    both = wanted + ("," + against if against else "")
    return f"""
    WITH reg AS (SELECT patient_id FROM ({REGISTERED}) WHERE {_AGE} >= {min_age}),
    latest AS (SELECT patient_id, arg_max(snomed_code, date) AS code FROM clinical_events
               WHERE snomed_code IN ({both}) AND date <= {{ref}} GROUP BY 1)
    SELECT 100.0 * count(*) FILTER (WHERE latest.code IN ({wanted})) / count(*)
    FROM reg LEFT JOIN latest USING (patient_id)
    """


def _efi_sql(low: int, high: int, min_age: int = 65, max_age: int = 200) -> str:
    """% of registered people aged min_age-max_age whose count of eFI deficits ever coded by
    {ref} (plus polypharmacy: 5+ distinct medicines in the 12 months to {ref}) is low-high."""
    return f"""
    WITH reg AS (SELECT patient_id FROM ({REGISTERED})
                 WHERE {_AGE} BETWEEN {min_age} AND {max_age}),
    efi AS (SELECT * FROM read_csv_auto('{data_path("codelists", "efi_deficits_snomed.csv")}',
                                        all_varchar=true)),
    coded AS (SELECT e.patient_id, count(DISTINCT efi.deficit) AS n FROM clinical_events e
              JOIN efi ON e.snomed_code = efi.code JOIN reg USING (patient_id)
              WHERE e.date <= {{ref}} GROUP BY 1),
    poly AS (SELECT m.patient_id FROM medications m JOIN reg USING (patient_id)
             WHERE m.date <= {{ref}} AND m.date > {{ref}} - INTERVAL 12 MONTH
             GROUP BY 1 HAVING count(DISTINCT coalesce(left(m.bnf_code, 9), m.dmd_code)) >= 5),
    total AS (SELECT reg.patient_id, coalesce(coded.n, 0)
                     + CASE WHEN poly.patient_id IS NULL THEN 0 ELSE 1 END AS n
              FROM reg LEFT JOIN coded USING (patient_id) LEFT JOIN poly USING (patient_id))
    SELECT 100.0 * count(*) FILTER (WHERE n BETWEEN {low} AND {high}) / count(*) FROM total
    """


_CENSUS = ("ONS, Older people living in care homes in 2021 and changes since 2011 (9 October "
           "2023): 278,946 people 65+ in care homes in England and Wales, 2.5% of the 65+, "
           "56.4% of them 85+ [S]")
_EFI = ("Clegg et al., Age Ageing 2016 (doi 10.1093/ageing/afw039), eFI categories among people "
        "65+ in the development cohort: fit ~50%, mild ~35%, moderate ~12%, severe ~3% [K] "
        "(clinical-indicators note 1.5, 4.5); deficits ever coded before the date, "
        "polypharmacy from the last 12 months' issues")

TARGETS = [
    Target(
        id="care_home_65plus",
        description="Care home residents (latest LONGRES/CAREHOME_COD residence code), % of "
                    "registered people 65+",
        target=2.5, tolerance=0.7, unit="%", source=_CENSUS, once=True,
        sql=_latest_is_sql(_codes_sql("longres_primis"), None, 65)),
    Target(
        id="care_home_85plus",
        description="Care home residents, % of registered people 85+",
        target=9.5, tolerance=2.5, unit="%",
        source=_CENSUS + "; 157,300 residents 85+ (56.4% of 278,946) over about 1.65 million "
               "people 85+ in England and Wales at Census 2021 [K] = 9.5% [S-derived]",
        once=True, sql=_latest_is_sql(_codes_sql("longres_primis"), None, 85)),
    Target(
        id="housebound_85plus",
        description="Coded housebound (latest housebound code not followed by 'no longer "
                    "housebound'), % of registered people 85+",
        target=20.0, tolerance=8.0, unit="%",
        source="Society for Academic Primary Care 2023 abstract 'What does housebound "
               "mean?': about one in five people 85+ in the UK thought to be housebound "
               "(around 340,000) [S]; coding lags being housebound, hence the wide tolerance",
        once=True,
        sql=_latest_is_sql(_codes_sql("housebound_opensafely"),
                           _codes_sql("no_longer_housebound_opensafely"), 85)),
    Target(
        id="palliative_care_register",
        description="Palliative care register (PALCARE_COD ever coded), % of registered "
                    "patients, all ages",
        target=round(100 * PALLIATIVE_PREVALENCE, 2), tolerance=0.12, unit="%",
        source="QOF palliative care register (PC001), England: about 0.4-0.5% of registered "
               "patients [K]",
        sql=_latest_is_sql(_codes_sql("palcare_cod"), None, 0), lookback_months=0),
    Target(id="efi_fit_65plus", description="eFI fit (0-4 deficits), % of registered 65+",
           target=50.0, tolerance=6.0, unit="%", source=_EFI, once=True,
           sql=_efi_sql(0, 4)),
    Target(id="efi_mild_65plus", description="eFI mild (5-8 deficits), % of registered 65+",
           target=35.0, tolerance=6.0, unit="%", source=_EFI, once=True,
           sql=_efi_sql(5, 8)),
    Target(id="efi_moderate_65plus",
           description="eFI moderate (9-13 deficits), % of registered 65+",
           target=12.0, tolerance=4.0, unit="%", source=_EFI, once=True,
           sql=_efi_sql(9, 13)),
    Target(id="efi_severe_65plus", description="eFI severe (14+ deficits), % of registered 65+",
           target=3.0, tolerance=2.0, unit="%", source=_EFI, once=True,
           sql=_efi_sql(14, 36)),
    Target(id="efi_moderate_severe_85plus",
           description="eFI moderate or severe (9+ deficits), % of registered 85+",
           target=40.0, tolerance=10.0, unit="%",
           source="clinical-indicators note 4.5: moderate+severe rises from ~6% at 65-69 to "
                  "~40% at 85+ [K/E]", once=True, sql=_efi_sql(9, 36, 85)),
]
