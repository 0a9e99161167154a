"""The canonical model, its reference data and codelists."""

from pathlib import Path

import pyarrow as pa
import pytest

from icsight.model import docs, reference
from icsight.model.codelists import codelist, home_diastolic_bp, home_systolic_bp
from icsight.model.schema import ANALYTICS_TABLES, TABLES, table

ROOT = Path(__file__).resolve().parents[1]


def test_data_model_doc_is_generated_from_the_schema():
    on_disk = (ROOT / "docs" / "data-model.md").read_text()
    assert on_disk == docs.render(), "run `make docs` to regenerate docs/data-model.md"


def test_every_table_and_column_is_described():
    for t in TABLES.values():
        assert t.description
        for c in t.columns:
            assert c.description, f"{t.name}.{c.name} has no description"


def test_analytics_tables_carry_the_pseudonym_not_identifiers():
    forbidden = {"nhs_number", "given_name", "family_name", "date_of_birth", "postcode",
                 "address_line"}
    for name in ANALYTICS_TABLES:
        assert not forbidden & set(table(name).column_names), name
    assert table("patients").schema.field("month_of_birth").type == pa.date32()


def test_reference_geography_is_the_real_blmk():
    assert reference.lsoas().num_rows == 533
    assert reference.practices().num_rows == 96
    pcns = reference.pcns()
    real = [c for c in pcns["pcn_code"].to_pylist() if not c.startswith("UNALLOCATED")]
    assert len(real) == 23
    assert sorted(reference.places()["place"].to_pylist()) == [
        "Bedford Borough", "Central Bedfordshire", "Luton", "Milton Keynes"]
    # every practice's PCN exists and sits in the practice's place
    pcn_place = dict(zip(pcns["pcn_code"].to_pylist(), pcns["place"].to_pylist(), strict=True))
    for code, place in zip(reference.practices()["pcn_code"].to_pylist(),
                           reference.practices()["place"].to_pylist(), strict=True):
        assert pcn_place[code] == place


def test_imd_quintiles_follow_deciles():
    t = reference.lsoas().to_pandas()
    assert ((t.imd_decile + 1) // 2 == t.imd_quintile).all()
    # Luton holds the largest share of BLMK's most deprived (CORE20) neighbourhoods
    q1 = t[t.imd_quintile == 1].groupby("place").population_mid2019.sum()
    assert q1.idxmax() == "Luton"


def test_codelists_load_with_terms():
    hyp = codelist("hyp_cod")
    assert "59621000" in hyp and hyp.terms["59621000"] == "Essential hypertension"
    with pytest.raises(KeyError):
        codelist("no_such_list")


def test_home_bp_codes_are_a_subset_of_the_qof_lists():
    assert "413606001" in home_systolic_bp()  # average home systolic
    assert "198091000000104" in home_diastolic_bp()  # ambulatory diastolic
    assert "271649006" not in home_systolic_bp()  # clinic systolic
    assert set(home_systolic_bp().codes) <= set(codelist("systolic_bp_qof").codes)
    assert set(home_diastolic_bp().codes) <= set(codelist("diastolic_bp_qof").codes)
