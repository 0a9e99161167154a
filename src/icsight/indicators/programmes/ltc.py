"""Long-term conditions programme: hypertension (CVDPREVENT) and heart failure medicines.

Strategy (BLMK Health Services Strategy, 2024, long-term conditions workplan): hypertension
treated to target above 80% by the end of 2025, narrowing the deprivation gradient; heart
failure SGLT2i/MRA optimisation.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from icsight.indicators.cohorts import (
    PERIOD,
    ROW_KEYS,
    age_on,
    disease_register,
    flag,
    has_event,
    in_periods,
    keep_registered,
    only_for,
    registered_patients,
    starts_with_any,
)
from icsight.indicators.definition import Indicator
from icsight.indicators.life_table import deaths, tidy_life_expectancy
from icsight.indicators.periods import first_and_last
from icsight.indicators.population import (
    PopulationCounts,
    Rolling,
    emergency_admissions_per_person,
    event_counts,
    events_of_registered,
    population_counts,
    register_against_expected,
)
from icsight.model.codelists import codelist

#: This module's indicators, in the order the catalogue lists them.
INDICATORS: list[Indicator] = []

#: BNF chemical codes of the SGLT2 inhibitors and their combinations (BNF 6.1.2.3 also holds
#: DPP-4 inhibitors, GLP-1 agonists and acarbose, which must not count).
SGLT2I_BNF = ("0601023AG", "0601023AL", "0601023AM", "0601023AP", "0601023AN", "0601023AR",
              "0601023AX", "0601023AY")  # dapagliflozin(/metformin), canagliflozin(/metformin),
#                                        empagliflozin(/metformin), ertugliflozin, empa/lina
MRA_BNF = ("0202030S0", "0202030X0")  # spironolactone, eplerenone


def _heart_failure(lake, periods: ir.Table, medicines: str, bnf: tuple[str, ...]) -> ir.Table:
    """Heart failure register (18+) flagged for an issue of the medicine class in 6 months: a
    dm+d product in the class's codelist, or (for records without one) its BNF chemicals."""
    people = keep_registered(lake, disease_register(lake, periods, "hf_cod", "hfres_cod"))
    people = people.filter(people.age >= 18)
    meds = only_for(lake.table("medications"), people)
    products = codelist(medicines).codes

    def is_drug(m):
        return m.dmd_code.isin(products) | starts_with_any(m.bnf_code, bnf).fill_null(False)

    issued = has_event(meds, "date", periods, "start_6m", is_drug)
    return flag(people, issued, "numerator")


INDICATORS.append(Indicator(
    id="HF_SGLT2I", title="Heart failure: treated with an SGLT2 inhibitor",
    description="Of patients on the heart failure register, the percentage issued an SGLT2 "
                "inhibitor in the last 6 months (CVDP004HF-style; one of the four pillars of "
                "HFrEF treatment, NICE NG106).",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: heart failure SGLT2i/MRA optimisation",
    numerator="issued an SGLT2i (dm+d sglt2i_snomed, or BNF dapagliflozin, canagliflozin, "
              "empagliflozin, ertugliflozin and their combinations) in the 6 months to the "
              "period end",
    denominator="patients aged 18+ on the heart failure register (HF_COD not resolved)",
    rows=lambda lake, periods: _heart_failure(lake, periods, "sglt2i_snomed", SGLT2I_BNF),
    codelists=("hf_cod", "hfres_cod", "sglt2i_snomed"),
    source="CVDPREVENT CVDP004HF (definition pending the API metadata); NICE NG106",
))
INDICATORS.append(Indicator(
    id="HF_MRA", title="Heart failure: treated with a mineralocorticoid receptor antagonist",
    description="Of patients on the heart failure register, the percentage issued an MRA "
                "(spironolactone or eplerenone) in the last 6 months.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: heart failure SGLT2i/MRA optimisation",
    numerator="issued an MRA (dm+d mra_snomed, or BNF spironolactone 0202030S0, eplerenone "
              "0202030X0) in 6 months",
    denominator="patients aged 18+ on the heart failure register (HF_COD not resolved)",
    rows=lambda lake, periods: _heart_failure(lake, periods, "mra_snomed", MRA_BNF),
    codelists=("hf_cod", "hfres_cod", "mra_snomed"),
    source="NICE NG106 (four pillars); CVDPREVENT CVDP003HF",
))


def _flu_65(lake, periods: ir.Table) -> PopulationCounts:
    """Registered people aged 65 or over on 31 March of the season (UKHSA's cohort), with a
    vaccination in the season. The most recent season that has opened is reported: in
    September (before most of a season's doses) the previous one, 1 September to 31 August
    (`periods.flu_season`)."""
    vacc = lake.table("vaccinations")
    vacc = vacc.filter(vacc.vaccine == "influenza")
    # Each person's first dose of each season (from 1 September) stands for all of them: a
    # period end counts the person if that dose is on or before it. One row per person and
    # period end, with no duplicates to remove after matching doses to periods.
    season = ibis.ifelse(vacc.date.month() >= 9, vacc.date.year(), vacc.date.year() - 1)
    first = vacc.group_by(["patient_id", season.name("season")]).agg(date=vacc.date.min())
    given = first.join(periods.select(PERIOD, "season_start", "season_end"),
                       [first.date >= periods.season_start, first.date <= periods.season_end])
    given = given.select("patient_id", PERIOD)
    cohort_age = _age_on_season_date(lake, periods)
    given = given.left_join(cohort_age, ["patient_id", PERIOD])
    given = given.select(given.patient_id, given[PERIOD], given.cohort_age)
    counts = population_counts(lake, periods, given, (64, 200),
                               keep=lambda t: t.cohort_age.fill_null(t.age) >= 65)
    # The registered population is counted by age on the period end: move the people whose
    # age on 31 March puts them on the other side of 65 (64 now and 65 by 31 March in the
    # autumn; 65 now but 64 on 31 March in the spring and summer).
    near = keep_registered(lake, cohort_age.select("patient_id", PERIOD, "cohort_age"))
    near = near.filter(near.age.isin([64, 65]), (near.age >= 65) != (near.cohort_age >= 65))
    moved = near.select(*ROW_KEYS, n=ibis.ifelse(near.cohort_age >= 65, 1, -1).cast("int64"))
    return PopulationCounts(periods, (65, 200), None, counts.numerator, moved)


def _age_on_season_date(lake, periods: ir.Table) -> ir.Table:
    """(patient_id, period_end, cohort_age) for people aged 64-66 on a period end: their age on
    the season's 31 March (the only ages whose cohort can differ from their age then)."""
    patients = lake.table("patients").select(
        "patient_id", "month_of_birth", "registration_start", "registration_end",
        "date_of_death")
    # only people born within a few years of 65 years before some period end can be 64-66 on
    # it: left out first, the rest are not matched to every period end (a generous margin;
    # the exact ages are kept below)
    first, last = first_and_last(periods)
    patients = patients.filter(patients.month_of_birth > first - ibis.interval(years=68),
                               patients.month_of_birth <= last - ibis.interval(years=63))
    people = registered_patients(patients, periods)
    people = people.join(periods.select(PERIOD, "season_age_date"), PERIOD)
    people = people.filter(age_on(people.month_of_birth, people[PERIOD]).between(64, 66))
    return people.select("patient_id", PERIOD,
                         cohort_age=age_on(people.month_of_birth, people.season_age_date))


INDICATORS.append(Indicator(
    id="FLU_65", title="Seasonal influenza vaccination, 65 and over (season to date)",
    description="Percentage of registered people aged 65+ vaccinated against influenza in the "
                "current season (from 1 September; for September period ends, the season just "
                "finished).",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC and CORE20PLUS5 chronic respiratory disease: vaccination "
                              "uptake to reduce exacerbations and admissions",
    numerator="an influenza vaccination in the season (1 September to the period end)",
    denominator="registered people aged 65+", rows=_flu_65, target=75.0,
    source="UKHSA seasonal influenza vaccine uptake (GP patients); WHO/UKHSA ambition 75%",
))


# --- outcomes: premature mortality and heart failure admissions, age-standardised -----------

MORTALITY_SOURCE = ("OHID Public Health Outcomes Framework / Fingertips: under 75 mortality "
                    "rates (all-cause within each group of diseases), ESP2013, Dobson limits "
                    "(PHEindicatormethods calculate_dsr)")


def _premature_deaths(lake, periods: ir.Table, cause_prefix: str) -> PopulationCounts:
    """Deaths under 75 with an underlying cause starting `cause_prefix`, in the 12 months to
    each period end, per registered population under 75 (plus the people who died in the
    year, who were at risk for part of it)."""
    deaths = lake.table("deaths").select("patient_id", "date_of_death", "underlying_cause")
    deaths = in_periods(deaths, "date_of_death", periods, "start_12m")
    patients = lake.table("patients").select("patient_id", *ROW_KEYS[1:-1], "month_of_birth",
                                              "registration_start", "registration_end")
    d = deaths.join(patients, "patient_id")
    d = d.mutate(age=age_on(d.month_of_birth, d.date_of_death), n=ibis.literal(1, "int64"))
    # registered with the practice when they died (a registration ends on the day of death)
    d = d.filter(d.age <= 74, d.registration_start <= d.date_of_death,
                 d.registration_end.isnull() | (d.registration_end >= d.date_of_death))
    died = d.filter(d.underlying_cause.startswith(cause_prefix))
    return PopulationCounts(periods, (0, 74), None, died.select(*ROW_KEYS, "n"),
                            d.select(*ROW_KEYS, "n"))


for _id, _title, _prefix, _codes in (
    ("PREM_MORT_CVD", "Under 75 mortality from cardiovascular disease", "I", "I00-I99"),
    ("PREM_MORT_RESP", "Under 75 mortality from respiratory disease", "J", "J00-J99"),
    ("PREM_MORT_CANCER", "Under 75 mortality from cancer", "C", "C00-C97"),
):
    INDICATORS.append(Indicator(
        id=_id, title=_title + " (directly age-standardised)",
        description=f"Deaths under 75 with an underlying cause of {_codes} in the 12 months to "
                    "the period end, per 100,000 registered people under 75, directly "
                    "age-standardised to the 2013 European Standard Population.",
        numerator_basis="events in the period of people registered at the event",
        denominator_basis="period-end list and deaths in the period",
        programme="ltc",
        strategy="LTC workplan and CORE20PLUS5: reduce premature mortality and its "
                 "deprivation gap (cardiovascular, respiratory, cancer)",
        numerator=f"deaths aged under 75, underlying cause ICD-10 {_codes} (ONS death "
                  "registrations)",
        denominator="registered people aged 0-74 on the period end, plus those who died aged "
                    "under 75 in the 12 months",
        rows=lambda lake, periods, p=_prefix: _premature_deaths(lake, periods, p),
        method="dsr", multiplier=100_000, unit="per 100,000", polarity="lower is better",
        source=MORTALITY_SOURCE + "; 12-month rolling here (Fingertips pools 3 years)",
    ))


def _hf_admissions(lake, periods: ir.Table) -> PopulationCounts:
    return emergency_admissions_per_person(lake, periods,
                                  lambda s: s.primary_diagnosis.startswith("I50"))


INDICATORS.append(Indicator(
    id="HF_ADM_DSR", title="Emergency admissions for heart failure (directly age-standardised)",
    description="Emergency admissions with a primary diagnosis of heart failure (ICD-10 I50) in "
                "the 12 months to the period end per 100,000 registered people, "
                "age-standardised to the 2013 European Standard Population.",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: heart failure optimisation to prevent admissions",
    numerator="emergency admissions (spells) with primary diagnosis I50 in the 12 months",
    denominator="people registered on the period end", rows=_hf_admissions, method="dsr",
    multiplier=100_000, unit="per 100,000", polarity="lower is better",
    source="NHS Outcomes Framework / CVDPREVENT outcome: emergency heart failure admissions; "
           "ESP2013, Dobson limits (PHEindicatormethods calculate_dsr)",
))


def _msk_first_attendances(lake, periods: ir.Table) -> PopulationCounts:
    op = lake.table("op_appointments")
    op = op.filter(op.first_attendance, op.attended == "attended",
                   op.treatment_function.isin(list(MSK_TREATMENT_FUNCTIONS)))
    return event_counts(lake, periods, op, "appointment_date")


#: Trauma and orthopaedics, rheumatology (NHS Data Dictionary treatment function codes); MSK
#: physiotherapy (650) and community MSK services are not in the outpatient data here.
MSK_TREATMENT_FUNCTIONS = ("110", "410")

INDICATORS.append(Indicator(
    id="MSK_REF_RATE", title="MSK referrals seen: first outpatient attendances per 1,000",
    description="First outpatient attendances in trauma and orthopaedics or rheumatology in "
                "the 12 months to the period end, per 1,000 registered people: referrals into "
                "secondary care musculoskeletal services that were seen.",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
    programme="ltc", strategy="LTC workplan: musculoskeletal conditions; fragile services and "
                              "planned care: demand for T&O",
    numerator="first attended outpatient appointments, treatment functions 110 and 410",
    denominator="people registered on the period end", rows=_msk_first_attendances,
    method="rate", multiplier=1000, unit="per 1,000", polarity="no polarity",
    source="NHS Data Dictionary treatment function codes; SUS+/HES Outpatients (first "
           "attendances stand in for referrals, which are not in the outpatient data)",
))


def _hypertension_detection(lake, periods: ir.Table) -> PopulationCounts:
    return register_against_expected(lake, periods, "hyp_cod", "hypres_cod", (18, 200),
                                     "hypertension_expected")


INDICATORS.append(Indicator(
    id="HYP_DETECTION", title="Hypertension: recorded prevalence against expected (18+)",
    description="People aged 18 and over on the hypertension register as a percentage of the "
                "number expected to have hypertension (diagnosed or not) given the registered "
                "population's age and sex: how much hypertension has been found.",
    numerator_basis="people on the period-end list meeting the rule",
    denominator_basis="expected count",
    programme="ltc", strategy="LTC workplan and CORE20PLUS5: hypertension case finding (find "
                              "the undiagnosed, narrowing the deprivation gap)",
    numerator="patients aged 18+ on the hypertension register (HYP_COD not resolved)",
    denominator="expected cases: registered people 18+ by age band and sex x the estimated "
                "prevalence of hypertension in England (the `denominator` column)",
    rows=_hypertension_detection, method="ratio", multiplier=100, unit="% of expected",
    codelists=("hyp_cod", "hypres_cod"),
    source="Faculty of Public Health Hypertension Ready Reckoner (Health Survey for England), "
           "age-sex prevalence as tabulated by Devon JSNA; exact/Byar's limits as for an ISR",
))


# --- inhaler carbon: salbutamol (SABA) relievers, OpenPrescribing's method -----------------

INHALER_CARBON_SOURCE = (
    "OpenPrescribing measure carbon_salbutamol (kg CO2e per inhaler by BNF presentation, "
    "https://openprescribing.net/measure/carbon_salbutamol/), values from Wilkinson et al., "
    "'Costs of switching to low global warming potential inhalers', BMJ Open 2019;9:e028763; "
    "context: NHS Long Term Plan (2019) ambition to halve the carbon impact of inhalers, the "
    "Delivering a 'Net Zero' National Health Service (2020) trajectory of a 51% reduction in "
    "inhaler emissions by 2028")


def inhaler_carbon() -> dict[str, tuple[str, float]]:
    """Salbutamol inhaler presentations valued by OpenPrescribing's carbon_salbutamol measure:
    BNF presentation code -> (device type, kg CO2e per inhaler), from the packaged
    `reference/inhaler_carbon.csv` (sources in its SOURCES.md)."""
    import csv

    from icsight.model.reference import data_path

    with data_path("reference", "inhaler_carbon.csv").open(encoding="utf-8") as f:
        return {r["bnf_code"]: (r["device_type"], float(r["kg_co2e_per_inhaler"]))
                for r in csv.DictReader(f) if r["level"] == "product"}


def is_pressurised(device_type: str) -> bool:
    """Pressurised metered dose inhalers, including breath-actuated ones (a propellant)."""
    return device_type.startswith(("pMDI", "BAI"))


def _salbutamol_issues(lake, periods: ir.Table) -> ir.Table:
    """Issues in the 12 months to each period end of a salbutamol inhaler OpenPrescribing
    values (one of its BNF presentations), of people registered when it was issued, with their
    attributes then (practice, LSOA, sex, ethnic group), age at the issue, grams of CO2e
    (inhalers issued x kg per inhaler x 1,000; a missing quantity is one inhaler) and whether
    it is a pressurised MDI."""
    return in_periods(_salbutamol_issued(lake), "date", periods, "start_12m")


def _salbutamol_issued(lake) -> ir.Table:
    """Every issue of a salbutamol inhaler OpenPrescribing values, of a person registered when
    it was issued (see `_salbutamol_issues`), not yet matched to periods."""
    values = inhaler_carbon()
    meds = lake.table("medications")
    meds = meds.filter(meds.bnf_code.isin(list(values)))
    grams = ibis.cases(*[(meds.bnf_code == code, kg * 1000) for code, (_, kg) in values.items()],
                       else_=ibis.null("float64"))
    pressurised = [code for code, (device, _) in values.items() if is_pressurised(device)]
    meds = meds.mutate(grams=(meds.quantity.fill_null(1.0) * grams).round(0).cast("int64"),
                       pressurised=meds.bnf_code.isin(pressurised))
    return events_of_registered(
        lake, meds.select("patient_id", "date", "grams", "pressurised"), "date")


def _saba_carbon(lake, periods: ir.Table) -> PopulationCounts:
    t = _salbutamol_issued(lake)
    grams = t.select(*ROW_KEYS[1:], "date", n=t.grams)
    return PopulationCounts(periods, (0, 200), None, Rolling(periods, grams, "start_12m"))


INDICATORS.append(Indicator(
    id="SABA_CARBON", title="Reliever inhaler carbon: kg CO2e from salbutamol per patient",
    description="The carbon footprint of the salbutamol (SABA reliever) inhalers issued in the "
                "12 months to the period end, in kg CO2e per registered patient: each "
                "inhaler valued as OpenPrescribing values it (about 25 kg for a large-volume "
                "pressurised MDI, under 1 kg for most dry powder inhalers). Context: the NHS "
                "Long Term Plan's ambition to halve inhaler emissions (51% by 2028).",
    programme="ltc", strategy="LTC and CORE20PLUS5 chronic respiratory disease: reliever "
                              "over-use and greener inhaler choice (Greener NHS, net zero)",
    numerator="grams CO2e of the salbutamol inhalers issued in the 12 months (BNF "
              "presentations of OpenPrescribing's carbon_salbutamol measure; inhalers issued "
              "x kg per inhaler; a missing quantity is one inhaler) to people registered when "
              "issued, at the practice then",
    denominator="people registered on the period end (all ages)", rows=_saba_carbon,
    method="amount", multiplier=0.001, unit="kg CO2e per patient",
    polarity="lower is better",
    source=INHALER_CARBON_SOURCE + ". Terbutaline (dry powder only) and salbutamol "
           "presentations the measure does not value are left out, as OpenPrescribing does; "
           "a value, not a count, so no confidence interval",
    numerator_basis="events in the period of people registered at the event",
    denominator_basis="period-end list",
))


def _saba_pressurised_share(lake, periods: ir.Table) -> ir.Table:
    t = _salbutamol_issues(lake, periods)
    return t.mutate(numerator=t.pressurised)


INDICATORS.append(Indicator(
    id="SABA_PMDI_SHARE", title="Reliever inhalers issued as pressurised MDIs (salbutamol)",
    description="Of the salbutamol (SABA reliever) inhalers issued in the 12 months to the "
                "period end, the percentage that were pressurised metered dose inhalers "
                "(including breath-actuated ones), which hold a propellant with a high "
                "global warming potential; the rest are dry powder inhalers.",
    programme="ltc", strategy="LTC and CORE20PLUS5 chronic respiratory disease: greener "
                              "inhaler choice (Greener NHS, net zero)",
    numerator="issues of a pressurised MDI or breath-actuated MDI",
    denominator="issues (items) in the 12 months of a salbutamol inhaler valued by "
                "OpenPrescribing's carbon_salbutamol measure, to people registered when issued",
    rows=_saba_pressurised_share, polarity="lower is better",
    # environmental_inhalers counts the same way (items) but over the other BNF chapter 3
    # inhalers, salbutamol left out ("MDIs prescribed as a proportion of all inhalers in BNF
    # Chapter 3, excluding salbutamol", its measure definition, ebmdatalab/openprescribing):
    # said here so that no one compares the two figures
    source=INHALER_CARBON_SOURCE + "; items counted as in OpenPrescribing's "
           "environmental_inhalers measure (MDIs as a share of inhaler items), which covers "
           "the other BNF chapter 3 inhalers and leaves salbutamol out: its figures are not "
           "comparable with this one",
    numerator_basis="units of the denominator meeting the rule",
    denominator_basis="events in the period",
))


# --- outcomes: life expectancy (PHOF A01b) and its deprivation gradient (A02a) ---------------

LIFE_EXPECTANCY_SOURCE = (
    "OHID Public Health Outcomes Framework A01b 'Life expectancy at birth' and 'Life "
    "expectancy at 65' (Fingertips; ONS deaths and mid-year populations, three years pooled, "
    "abridged life table to 90+, Chiang II with Silcocks et al. 95% limits, no value at 5,000 "
    "person-years or fewer: PHEindicatormethods phe_life_expectancy), and A02a 'Inequality in "
    "life expectancy' (slope index of inequality across IMD deciles, phe_sii; here national "
    "deciles, in the inequalities summary)")

for (_age, _at), _sex in [(a, s) for a in ((0, "BIRTH"), (65, "65")) for s in ("male",
                                                                               "female")]:
    _who = "at birth" if _age == 0 else "at 65"
    INDICATORS.append(Indicator(
        id=f"LE_{_at}_{_sex.upper()}", title=f"Life expectancy {_who}, {_sex}s",
        description=f"The average number of years a {_sex} {'newborn' if _age == 0 else 'aged 65'}"
                    " would live (further) at the death rates of the three years to the "
                    "period end, from an abridged life table (0, 1-4, 5-9, ..., 85-89, 90+) of "
                    "registered people's deaths and mid-year populations; by place and IMD "
                    "decile, with the slope index of inequality across deciles in the "
                    "inequalities summary.",
        programme="ltc",
        strategy="BLMK Health Services Strategy (2024) and CORE20PLUS5: increase life "
                 "expectancy and narrow its gap between the most and least deprived",
        numerator=f"deaths of {_sex}s {'' if _age == 0 else 'aged 65 and over '}in the 36 "
                  "months to the period end, registered with a BLMK practice when they died "
                  "(ONS death registrations)",
        denominator=f"person-years of {_sex}s {'' if _age == 0 else 'aged 65 and over '}"
                    "registered: the registered population on the middle day of each of the "
                    "three years, summed",
        rows=lambda lake, periods, s=_sex, a=_age: _le_deaths(lake, periods, s, a),
        tidy=lambda lake, periods, s=_sex, a=_age: tidy_life_expectancy(lake, periods, s, a),
        method="life_expectancy", multiplier=1, unit="years", polarity="higher is better",
        source=LIFE_EXPECTANCY_SOURCE,
        numerator_basis="events in the period of people registered at the event",
        denominator_basis="person-time",
    ))


def _le_deaths(lake, periods: ir.Table, sex: str, age: int) -> ir.Table:
    """The deaths a life expectancy counts (at 65: those at 65 and over), one row each."""
    died = deaths(lake, periods, sex)
    return died.filter(died.age >= age)
