"""The synthetic BLMK population: structure, determinism, privacy and safe writing."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from icsight.governance.pseudonymise import pseudonyms
from icsight.lake import ANALYTICS, table_path, zone_path
from icsight.model.schema import TABLES, table
from icsight.synth import build_context
from icsight.synth.context import NO_DATE
from icsight.synth.generate import generate_lake
from tests.lakes import TEST_KEY


def _read(lake_dir, name):
    return pq.read_table(table_path(lake_dir, name))


def test_every_table_is_written_with_its_schema_and_has_rows(lake_dir):
    for name, spec in TABLES.items():
        t = _read(lake_dir, name)
        assert t.schema.equals(spec.schema), name
        assert t.num_rows > 0, f"{name} is empty"


def test_required_columns_have_no_nulls(lake_dir):
    for name, spec in TABLES.items():
        t = _read(lake_dir, name)
        for col in spec.columns:
            if not col.nullable:
                assert t[col.name].null_count == 0, f"{name}.{col.name}"


def test_categorical_columns_only_hold_their_values(lake_dir):
    for name, spec in TABLES.items():
        t = _read(lake_dir, name)
        for col in spec.columns:
            if col.categories:
                seen = set(t[col.name].drop_null().unique().to_pylist())
                assert seen <= set(col.categories), (name, col.name, seen - set(col.categories))


def test_population_size_and_comings_and_goings(lake):
    p = lake.table("patients").to_pandas()
    ref = np.datetime64(lake.reference_date)
    current = p.registration_end.isna() & p.date_of_death.isna()
    assert abs(current.sum() - 60_000) < 600
    deaths = p.date_of_death.notna().sum()
    assert 0.025 < deaths / current.sum() < 0.05  # ~7-9 per 1,000 a year for five years
    assert (p.registration_start.astype("datetime64[s]") <= ref).all()
    dead = p[p.date_of_death.notna()]
    assert (dead.registration_end == dead.date_of_death).all()


def test_places_have_their_own_character(lake):
    p = lake.table("patients").to_pandas()
    prac = lake.table("practices").to_pandas()[["practice_code", "place"]]
    p = p.merge(prac, on="practice_code")
    p = p[p.registration_end.isna() & p.date_of_death.isna()]
    age = (np.datetime64(lake.reference_date) - p.month_of_birth.astype("datetime64[s]")
           ).dt.days / 365.25
    p = p.assign(age=age)
    mean_age = p.groupby("place").age.mean()
    assert mean_age["Milton Keynes"] < mean_age["Central Bedfordshire"]
    stated = p[p.ethnicity_group != "Not stated"]
    asian = stated.groupby("place").ethnicity_group.apply(lambda s: (s == "Asian").mean())
    # Census 2021: Luton 37.0% Asian, Central Bedfordshire 3.5%
    assert 0.33 < asian["Luton"] < 0.41
    assert asian["Central Bedfordshire"] < 0.06
    pakistani = (stated[stated.place == "Luton"].ethnicity_category == "J").mean()
    assert pakistani > 0.15  # Luton's largest Asian group


def test_practice_lists_vary_in_size(lake):
    p = lake.table("patients").to_pandas()
    sizes = p[p.registration_end.isna()].practice_code.value_counts()
    assert len(sizes) == 96
    assert sizes.max() > 3 * sizes.min()


def test_same_seed_same_lake_other_seed_other_lake(tmp_path):
    a = generate_lake(tmp_path / "a", 3000, seed=5, reference_date="2025-03-31", key=TEST_KEY)
    b = generate_lake(tmp_path / "b", 3000, seed=5, reference_date="2025-03-31", key=TEST_KEY)
    c = generate_lake(tmp_path / "c", 3000, seed=6, reference_date="2025-03-31", key=TEST_KEY)
    assert a["rows"] == b["rows"]
    for name in TABLES:
        ta, tb = (_read(tmp_path / x, name) for x in "ab")
        assert ta.equals(tb), name
    assert not _read(tmp_path / "a", "patients").equals(_read(tmp_path / "c", "patients"))
    assert a["rows"] != c["rows"]


def test_no_identifier_reaches_the_analytics_store(lake_dir):
    ident = _read(lake_dir, "person_identifiers").to_pandas()
    nhs = set(ident.nhs_number)
    postcodes = set(ident.postcode)
    names = set(ident.given_name + " " + ident.family_name)
    addresses = set(ident.address_line)
    for file in zone_path(lake_dir, ANALYTICS).glob("*.parquet"):
        df = pq.read_table(file).to_pandas()
        for col in df.columns:
            values = set(df[col].dropna().astype(str).head(200_000))
            assert not values & nhs, f"NHS number in {file.name}.{col}"
            if file.name != "practices.parquet":  # organisations' names and postcodes
                assert not values & postcodes, f"postcode in {file.name}.{col}"
            assert not values & names, f"full name in {file.name}.{col}"
            assert not values & addresses, f"address in {file.name}.{col}"
    # dates of birth are cut to the month: every month_of_birth is a 1st
    mob = pq.read_table(table_path(lake_dir, "patients"))["month_of_birth"].to_pandas()
    assert all(d.day == 1 for d in mob)


def test_the_key_links_identifiable_zone_to_pseudonyms(lake_dir):
    ident = _read(lake_dir, "person_identifiers").to_pandas()
    patients = _read(lake_dir, "patients").to_pandas()
    assert len(ident) == len(patients)
    assert set(pseudonyms(TEST_KEY, ident.nhs_number)) == set(patients.patient_id)
    assert set(pseudonyms(b"another-key-entirely-0123456789ab", ident.nhs_number.head(100))
               ).isdisjoint(set(patients.patient_id))


def test_synthetic_nhs_numbers_are_valid_and_never_real(lake_dir):
    numbers = _read(lake_dir, "person_identifiers")["nhs_number"].to_pylist()
    assert len(set(numbers)) == len(numbers)
    for n in numbers[:5000]:
        assert len(n) == 10 and n[0] == "9"
        total = sum(int(d) * w for d, w in zip(n[:9], range(10, 1, -1), strict=True))
        assert (11 - total % 11) % 11 == int(n[9])


def test_events_fall_within_each_persons_life(lake):
    bad = lake.sql("""
        SELECT count(*) FROM clinical_events e JOIN patients p USING (patient_id)
        WHERE e.date < p.month_of_birth
           OR e.date > coalesce(p.date_of_death, DATE '9999-12-31')
    """).iloc[0, 0]
    assert bad == 0
    bad = lake.sql("""
        SELECT count(*) FROM medications m JOIN patients p USING (patient_id)
        WHERE m.date > least(coalesce(p.date_of_death, DATE '9999-12-31'),
                             coalesce(p.registration_end, DATE '9999-12-31'))
           OR m.date < p.registration_start
    """).iloc[0, 0]
    assert bad == 0


def test_conditions_cluster_and_follow_deprivation():
    ctx = build_context(40_000, seed=2)
    c = ctx.pop.conditions
    age = ctx.pop.age_on(ctx.reference_date)
    old = age >= 65
    n_conditions = sum(c[k].has.astype(int) for k in ("hypertension", "diabetes", "copd",
                                                      "heart_failure", "ckd", "dementia"))
    # multimorbidity: conditions co-occur more than independence would give
    hyp, dm = c["hypertension"].has[old], c["diabetes"].has[old]
    assert (hyp & dm).mean() > 1.2 * hyp.mean() * dm.mean()
    assert (n_conditions[old] >= 2).mean() > 0.2
    # compared within one age band, so the younger age structure of deprived areas does not hide
    # the gradient (COPD is ~2.5-3x as common in the most deprived quintile)
    band = (age >= 60) & (age < 75)
    copd_q1 = c["copd"].has[(ctx.pop.imd_quintile == 1) & band].mean()
    copd_q5 = c["copd"].has[(ctx.pop.imd_quintile == 5) & band].mean()
    assert copd_q1 > 1.6 * copd_q5


def test_resolved_conditions_are_off_the_register():
    ctx = build_context(20_000, seed=4)
    hyp = ctx.pop.conditions["hypertension"]
    resolved = hyp.resolved != NO_DATE
    assert resolved.sum() > 0
    assert (hyp.resolved[resolved] >= hyp.diagnosed[resolved]).all()
    # most resolved people are off the register; a few came back with a new diagnosis
    assert 0 < hyp.has[resolved].mean() < 0.5


def test_a_failed_run_leaves_the_previous_lake_intact(tmp_path, monkeypatch):
    out = tmp_path / "lake"
    generate_lake(out, 2000, seed=1, reference_date="2025-03-31", key=TEST_KEY)
    before = {p.name: p.stat().st_size for p in zone_path(out, ANALYTICS).iterdir()}
    import icsight.synth.generate as g

    def boom(*_a, **_k):
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(g.LakeWriter, "close", boom)
    with pytest.raises(RuntimeError, match="killed"):
        generate_lake(out, 2000, seed=2, reference_date="2025-03-31", key=TEST_KEY)
    after = {p.name: p.stat().st_size for p in zone_path(out, ANALYTICS).iterdir()}
    assert before == after
    # no temporary folders left; the lake's lock file stays (icsight.lake.lock)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lake.lock", "lake"]


def test_refuses_to_overwrite_a_folder_that_is_not_a_lake(tmp_path):
    (tmp_path / "notes.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="not an icsight lake"):
        generate_lake(tmp_path, 2000, seed=1, reference_date="2025-03-31", key=TEST_KEY)
    assert (tmp_path / "notes.txt").read_text() == "precious"


def test_manifest_records_provenance(lake):
    m = lake.manifest
    assert m["seed"] == 11 and m["population_target"] == 60_000
    assert m["reference_date"] == "2026-09-30" and m["window_start"] == "2021-10-01"
    assert m["rows"]["patients"] == lake.table("patients").count().execute()
    assert set(m["rows"]) == set(TABLES)
    assert table("patients").name == "patients"


def test_same_lake_from_separate_processes(tmp_path):
    """Python randomises string hashing per process; the lake must not depend on it."""
    import hashlib
    import os
    import subprocess
    import sys

    code = ("import sys; from icsight.synth.generate import generate_lake; "
            "generate_lake(sys.argv[1], 2000, seed=9, reference_date='2025-03-31', "
            "key=b'icsight-test-key-0123456789abcdef-not-secret')")
    digests = []
    for i, hash_seed in enumerate(("1", "2")):
        out = tmp_path / f"lake{i}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env)
        tables = sorted(zone_path(out, ANALYTICS).glob("*.parquet"))
        digests.append([hashlib.sha256(pq.read_table(t).to_pandas().to_csv().encode())
                        .hexdigest() for t in tables])
    assert digests[0] == digests[1]
