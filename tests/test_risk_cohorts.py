"""The neighbourhood cohorts patient by patient, on tiny hand-made lakes with answers worked by
hand: which code wins, which dates and terms are reported, who is left out."""

from __future__ import annotations

from icsight.engine import open_lake
from icsight.risk.cohorts import (
    care_home_residents,
    housebound,
    long_term_conditions,
    moderate_or_severe_frailty,
    palliative_care_register,
)
from tests.lakes import event, make_lake, patient
from tests.test_risk_frailty import with_deficits

AS_OF = "2025-03-31"
NURSING_HOME, CARE_HOME_VISIT = "160734000", "889311000000109"  # LONGRES; CAREHOME_COD
TEMPORARY = "1240291000000104"  # Living temporarily in care home (CAREHOME_COD)
HOUSEBOUND, NO_LONGER = "160689007", "760661000000106"
PALLIATIVE = "1403151000000103"  # On palliative care register
MILD, MODERATE, SEVERE = "925791000000100", "925831000000107", "925861000000102"


def lake_of(tmp_path, patients, events):
    return open_lake(make_lake(tmp_path, patients, events))


def test_care_home_latest_code_not_superseded_by_living_at_home(tmp_path):
    patients = [patient(i, born="1935-01-01") for i in (1, 2, 3, 4, 5)]
    events = [
        event(1, "2020-05-01", NURSING_HOME), event(1, "2024-11-02", CARE_HOME_VISIT),
        event(2, "2020-05-01", NURSING_HOME), event(2, "2023-01-01", HOUSEBOUND),  # home again
        event(3, "2024-01-01", HOUSEBOUND), event(3, "2024-06-01", NURSING_HOME),  # moved in
        event(4, "2025-02-01", TEMPORARY),
        event(5, "2025-04-01", NURSING_HOME),  # after the as-of date
    ]
    out = care_home_residents(lake_of(tmp_path, patients, events), AS_OF)
    got = {r.patient_id: (str(r.first_care_home_date), str(r.latest_care_home_date),
                          r.latest_care_home_term, r.temporary) for r in out.itertuples()}
    assert got == {
        1: ("2020-05-01", "2024-11-02", "Care home visit", False),
        3: ("2024-06-01", "2024-06-01", "Lives in a nursing home", False),
        4: ("2025-02-01", "2025-02-01", "Living temporarily in care home", True),
    }


def test_housebound_latest_code_wins_and_a_same_day_no_longer_wins(tmp_path):
    patients = [patient(i, born="1935-01-01") for i in (1, 2, 3, 4, 5)]
    events = [
        event(1, "2021-01-01", HOUSEBOUND),
        event(2, "2021-01-01", HOUSEBOUND), event(2, "2022-01-01", NO_LONGER),
        # housebound again after being no longer: since the first code after that
        event(3, "2019-01-01", HOUSEBOUND), event(3, "2020-01-01", NO_LONGER),
        event(3, "2023-03-01", HOUSEBOUND), event(3, "2024-03-01", HOUSEBOUND),
        event(4, "2024-01-01", HOUSEBOUND), event(4, "2024-01-01", NO_LONGER),
        event(5, "2025-04-01", HOUSEBOUND),
    ]
    out = housebound(lake_of(tmp_path, patients, events), AS_OF)
    got = {r.patient_id: str(r.housebound_since) for r in out.itertuples()}
    assert got == {1: "2021-01-01", 3: "2023-03-01"}


def test_palliative_care_register_from_april_2008(tmp_path):
    patients = [patient(i, born="1950-01-01") for i in (1, 2, 3, 4)]
    events = [
        event(1, "2008-03-31", PALLIATIVE),  # before QOF's start date: not on
        event(2, "2008-04-01", PALLIATIVE), event(2, "2024-12-01", "103735009"),
        event(3, "2025-04-01", PALLIATIVE),  # after the as-of date
    ]
    patients.append(patient(5, date_of_death="2025-01-01", registration_end="2025-01-01"))
    events.append(event(5, "2024-10-01", PALLIATIVE))  # died: not registered
    out = palliative_care_register(lake_of(tmp_path, patients, events), AS_OF)
    got = {r.patient_id: (str(r.first_palliative_date), str(r.latest_palliative_date),
                          r.latest_palliative_term) for r in out.itertuples()}
    assert got == {2: ("2008-04-01", "2024-12-01", "Palliative care")}


def test_frailty_takes_whichever_of_efi_and_code_says_more(tmp_path):
    patients = [patient(i, born="1940-01-01") for i in range(1, 8)]
    patients.append(patient(8, born="1962-01-01"))  # 63: outside the eFI's ages
    events = [
        *with_deficits(1, 9),  # eFI moderate, no code
        *with_deficits(2, 2), event(2, "2024-05-01", SEVERE),  # code says more
        *with_deficits(3, 14), event(3, "2024-05-01", MODERATE),  # eFI says more
        *with_deficits(4, 9), event(4, "2024-05-01", MODERATE),  # both say moderate
        # latest code wins: severe then mild; eFI fit -> mild: not in the cohort
        *with_deficits(5, 1), event(5, "2023-01-01", SEVERE), event(5, "2024-01-01", MILD),
        *with_deficits(6, 8),  # mild by eFI: out
        event(8, "2024-05-01", SEVERE),
    ]
    out = moderate_or_severe_frailty(lake_of(tmp_path, patients, events), AS_OF)
    got = {r.patient_id: (r.efi_category, r.coded_frailty, r.frailty, r.basis)
           for r in out.itertuples()}
    assert got == {
        1: ("moderate", None, "moderate", "eFI"),
        2: ("fit", "severe", "severe", "coded diagnosis"),
        3: ("severe", "moderate", "severe", "eFI"),
        4: ("moderate", "moderate", "moderate", "eFI and coded diagnosis"),
    }
    row = out.set_index("patient_id").loc[3]
    assert (row.efi_deficits, row.efi_score) == (14, 0.39)
    assert str(row.coded_frailty_date) == "2024-05-01"


def test_three_or_more_long_term_conditions(tmp_path):
    hyp, dm, copd, dem, dep, depres = ("59621000", "44054006", "13645005", "52448006",
                                       "35489007", "196381000000100")
    patients = [patient(1), patient(2), patient(3), patient(4, born="2010-01-01")]
    events = [
        event(1, "2015-01-01", hyp), event(1, "2016-01-01", dm), event(1, "2017-01-01", copd),
        # depression resolved: two conditions only
        event(2, "2015-01-01", hyp), event(2, "2016-01-01", dm),
        event(2, "2017-01-01", dep), event(2, "2019-01-01", depres),
        event(3, "2015-01-01", hyp), event(3, "2016-01-01", dem), event(3, "2020-01-01", copd),
        event(3, "2021-01-01", dm),
        # 15: depression (18+) and diabetes (17+) do not count yet
        event(4, "2020-01-01", "195967001"), event(4, "2021-01-01", dm),
        event(4, "2022-01-01", dep),
    ]
    out = long_term_conditions(lake_of(tmp_path, patients, events), AS_OF)
    got = {r.patient_id: (r.conditions, r.condition_list) for r in out.itertuples()}
    assert got == {
        1: (3, "COPD (2017-01-01); Diabetes (2016-01-01); Hypertension (2015-01-01)"),
        3: (4, "COPD (2020-01-01); Dementia (2016-01-01); Diabetes (2021-01-01); "
               "Hypertension (2015-01-01)"),
    }


def test_neighbourhood_codelists_are_registered_with_their_sources():
    from icsight.model.codelists import NEIGHBOURHOOD_CODELISTS, codelist
    from icsight.model.reference import data_path

    sources = data_path("codelists", "SOURCES.md").read_text(encoding="utf-8")
    for name in NEIGHBOURHOOD_CODELISTS:
        assert f"| `{name}.csv` |" in sources, name
        if name != "efi_deficits_snomed":  # deficit,code,term: read by icsight.risk.frailty
            assert len(codelist(name)) >= 1 and all(codelist(name).terms.values()), name
    # the codes the cohort tests and the generator write are in the lists they claim
    assert {NURSING_HOME, CARE_HOME_VISIT, TEMPORARY} <= set(codelist("carehome_cod").codes)
    assert NURSING_HOME in codelist("longres_primis")
    assert HOUSEBOUND in codelist("housebound_opensafely")
    assert NO_LONGER in codelist("no_longer_housebound_opensafely")
    assert PALLIATIVE in codelist("palcare_cod")
