"""Cancer waiting time pathways through ingestion: dates out of order are quarantined with a
named reason, good rows load, and a synthetic lake's pathways survive `icsight export` and
`icsight ingest` unchanged (issue 10)."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from icsight.engine import open_lake
from icsight.ingest.load import ingest
from icsight.ingest.validate import check_values, date_problem
from icsight.lake import table_path
from icsight.synth.export import write_csv
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
ALICE_NHS = "9434765919"
PATHWAY = {"pathway_id": "1", "provider_code": "RC9", "route": "urgent_suspected_cancer",
           "referral_date": "2025-01-10", "tumour_group": "lower_gi",
           "faster_diagnosis_date": "2025-02-01", "outcome": "diagnosed",
           "decision_to_treat_date": "2025-02-20", "first_treatment_date": "2025-03-05"}


def test_a_pathway_in_order_is_valid():
    assert check_values("cancer_pathways", PATHWAY, TODAY)[1] == []
    # an open pathway (only the referral) is valid too
    open_one = {**PATHWAY, "faster_diagnosis_date": None, "outcome": None,
                "decision_to_treat_date": None, "first_treatment_date": None}
    assert check_values("cancer_pathways", open_one, TODAY)[1] == []


@pytest.mark.parametrize(("change", "fields", "reason"), [
    ({"faster_diagnosis_date": "2025-01-09"}, ["faster_diagnosis_date"],
     "2025-01-09 is before referral_date 2025-01-10"),
    ({"decision_to_treat_date": "2025-01-01", "first_treatment_date": "2025-01-05"},
     ["decision_to_treat_date", "first_treatment_date"],
     "2025-01-01 is before referral_date 2025-01-10"),
    ({"first_treatment_date": "2025-02-19"}, ["first_treatment_date"],
     "2025-02-19 is before decision_to_treat_date 2025-02-20"),
    ({"route": "two_week_wait"}, ["route"], "is not one of urgent_suspected_cancer"),
    ({"tumour_group": "colon"}, ["tumour_group"], "is not one of breast"),
    ({"referral_date": None}, ["referral_date"], "is required"),
    ({"first_treatment_date": "2027-01-01"}, ["first_treatment_date"], "in the future"),
])
def test_a_pathway_out_of_order_or_miscoded_is_refused_with_a_named_reason(change, fields,
                                                                             reason):
    _, problems = check_values("cancer_pathways", PATHWAY | change, TODAY)
    assert sorted({f for f, _ in problems}) == sorted(fields)
    assert reason in problems[0][1]


def test_a_treatment_after_death_is_refused():
    values, _ = check_values("cancer_pathways", PATHWAY, TODAY)
    assert date_problem(values, dt.date(1950, 3, 1), dt.date(2025, 3, 1)) == (
        "first_treatment_date", "2025-03-05 is after the person died (2025-03-01)")


def test_a_load_quarantines_the_pathway_out_of_order_and_keeps_the_others(tmp_path):
    header = "nhs_number," + ",".join(PATHWAY)
    rows = [dict(PATHWAY, pathway_id=str(i)) for i in (1, 2, 3)]
    rows[1]["first_treatment_date"] = "2025-02-01"  # before the decision to treat
    lines = [header] + [ALICE_NHS + "," + ",".join(r.values()) for r in rows]
    (tmp_path / "cancer_pathways.csv").write_text("\n".join(lines))
    report = ingest(tmp_path / "lake", [tmp_path / "cancer_pathways.csv"], key=TEST_KEY,
                    today=TODAY)
    ((problem),) = report.problems
    assert (problem.field, problem.locator) == ("first_treatment_date", "row 2 (line 3)")
    assert problem.reason == "2025-02-01 is before decision_to_treat_date 2025-02-20"
    loaded = pq.read_table(table_path(tmp_path / "lake", "cancer_pathways"))
    assert sorted(loaded.column("pathway_id").to_pylist()) == [1, 3]


def test_exported_pathways_round_trip_through_ingestion(lake_dir, tmp_path):
    files = write_csv(lake_dir, tmp_path / "csv", sample=400)
    assert any(f.name.startswith("cancer_pathways") for f in files)
    report = ingest(tmp_path / "lake", files, key=TEST_KEY, today=TODAY)
    for row in report.rows():
        assert row["received"] == row["loaded"] + row["quarantined"], row
    loaded, source = open_lake(tmp_path / "lake"), open_lake(lake_dir)
    ids = list(loaded.table("patients").patient_id.to_pandas())
    mine = loaded.table("cancer_pathways").to_pandas()
    theirs = source.table("cancer_pathways")
    theirs = theirs.filter(theirs.patient_id.isin(ids)).to_pandas()
    assert len(theirs) > 10
    key = ["pathway_id"]
    assert mine.sort_values(key).reset_index(drop=True).astype(str).equals(
        theirs.sort_values(key).reset_index(drop=True).astype(str))
