"""The neighbourhood teams' lists in the row shape every worklist shares, on a hand-made lake."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from icsight.engine import open_lake
from icsight.worklists.neighbourhood import WORKLISTS
from tests.lakes import event, make_lake, patient
from tests.test_risk_cohorts import HOUSEBOUND, MODERATE, NURSING_HOME, PALLIATIVE
from tests.test_risk_frailty import with_deficits

AS_OF = dt.date(2025, 3, 31)


@pytest.fixture
def lake(tmp_path):
    patients = [patient(1, born="1935-01-01"), patient(2, born="1935-01-01"),
                patient(3, born="1980-01-01")]
    events = [
        event(1, "2022-06-01", NURSING_HOME), *with_deficits(1, 9),
        event(2, "2023-02-01", HOUSEBOUND), event(2, "2024-11-01", PALLIATIVE),
        event(2, "2024-05-01", MODERATE),
        event(3, "2015-01-01", "59621000"), event(3, "2016-01-01", "44054006"),
        event(3, "2017-01-01", "13645005"),
    ]
    return open_lake(make_lake(tmp_path, patients, events))


def rows(lake, list_id):
    (wl,) = [w for w in WORKLISTS if w.id == list_id]
    return {r.patient_id: r for r in wl.find(lake, AS_OF).itertuples()}


def test_each_list_names_its_patients_with_reasons_and_facts(lake):
    home = rows(lake, "care-home-residents")
    assert set(home) == {1}
    assert home[1].reasons == "Lives in a care home"
    assert json.loads(home[1].facts)["Latest care home code"] == \
        "Lives in a nursing home on 2022-06-01"
    assert home[1].clinical_risk == round(9 / 36, 3)  # the eFI score
    assert not home[1].counts_towards_target

    assert set(rows(lake, "housebound")) == {2}
    palliative = rows(lake, "palliative-care-register")
    assert json.loads(palliative[2].facts)["On the register since"] == "2024-11-01"

    frail = rows(lake, "moderate-severe-frailty")
    assert {k: v.reasons for k, v in frail.items()} == {
        1: "Moderate frailty (by eFI)", 2: "Moderate frailty (by coded diagnosis)"}
    assert json.loads(frail[2].facts)["Coded frailty"] == "moderate on 2024-05-01"

    ltc = rows(lake, "multiple-long-term-conditions")
    assert set(ltc) == {3} and ltc[3].reasons == "3 long-term conditions"
    assert ltc[3].clinical_risk == 0.0  # under 65: no eFI


def test_list_ids_are_unique_and_in_the_neighbourhood_cohort():
    assert len({w.id for w in WORKLISTS}) == len(WORKLISTS) == 5
    assert {w.cohort for w in WORKLISTS} == {"neighbourhood"}
