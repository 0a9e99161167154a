"""The electronic Frailty Index patient by patient, on tiny hand-made lakes with answers worked
by hand (deficit counts, scores, categories at their boundaries, polypharmacy's window), and
its distribution on a small synthetic lake against the published shares."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from icsight.engine import open_lake
from icsight.lake import write_table
from icsight.model.schema import TABLES
from icsight.risk.frailty import (
    DEFICIT_LABELS,
    category_of,
    deficit_codes,
    efi,
    efi_deficits,
    efi_distribution,
    joined_sorted,
)
from tests.lakes import event, make_lake, patient

AS_OF = "2025-03-31"


def first_codes() -> list[tuple[str, str]]:
    """(deficit, one of its codes) for each of the 35 coded deficits, alphabetical."""
    codes = deficit_codes().drop_duplicates("deficit").sort_values("deficit")
    return list(zip(codes.deficit, codes.code, strict=True))


def with_deficits(pid: int, n: int, date: str = "2020-01-01") -> list[dict]:
    """Events giving patient `pid` exactly the first `n` coded deficits."""
    return [event(pid, date, code) for _, code in first_codes()[:n]]


def medicine(pid: int, date: str, bnf: str | None, dmd: str) -> dict:
    return {"patient_id": pid, "date": dt.date.fromisoformat(date), "dmd_code": dmd,
            "bnf_code": bnf, "quantity": 28.0}


def open_with(tmp_path: Path, patients, events, medicines=()):
    folder = make_lake(tmp_path, patients, events)
    write_table(folder, "medications",
                pa.Table.from_pylist(list(medicines), schema=TABLES["medications"].schema))
    return open_lake(folder)


def scores(tmp_path: Path, patients, events, medicines=(), as_of=AS_OF) -> dict[int, tuple]:
    out = efi(open_with(tmp_path, patients, events, medicines), as_of)
    return {r.patient_id: (r.deficits, r.score_shown, r.category) for r in out.itertuples()}


def test_the_codelist_holds_35_coded_deficits_and_polypharmacy_makes_36():
    assert deficit_codes().deficit.nunique() == 35
    assert len(DEFICIT_LABELS) == 36


def test_category_cut_offs_by_deficit_count():
    # fit <= 0.12 (4/36 = 0.11), mild to 0.24 (8/36 = 0.22), moderate to 0.36 (13/36 shows
    # as 0.36), severe above (14/36 = 0.39)
    got = {n: category_of(n) for n in (0, 4, 5, 8, 9, 13, 14, 36)}
    assert got == {0: "fit", 4: "fit", 5: "mild", 8: "mild", 9: "moderate", 13: "moderate",
                   14: "severe", 36: "severe"}


def test_boundary_scores_worked_by_hand(tmp_path):
    counts = {1: 0, 2: 4, 3: 5, 4: 8, 5: 9, 6: 13, 7: 14}
    patients = [patient(pid, born="1950-01-01") for pid in counts]
    events = [e for pid, n in counts.items() for e in with_deficits(pid, n)]
    assert scores(tmp_path, patients, events) == {
        1: (0, 0.0, "fit"), 2: (4, 0.11, "fit"), 3: (5, 0.14, "mild"), 4: (8, 0.22, "mild"),
        5: (9, 0.25, "moderate"), 6: (13, 0.36, "moderate"), 7: (14, 0.39, "severe")}


def test_a_deficit_counts_once_however_many_codes_and_whenever_recorded(tmp_path):
    (deficit, code), = first_codes()[:1]
    other = deficit_codes()
    second = other[(other.deficit == deficit) & (other.code != code)].code.iloc[0]
    events = [event(1, "1990-05-01", code), event(1, "2024-01-01", second),
              event(1, "2025-03-31", code)]
    assert scores(tmp_path, [patient(1, born="1950-01-01")], events) == {1: (1, 0.03, "fit")}


def test_codes_after_the_as_of_date_do_not_count_and_on_it_do(tmp_path):
    events = [*with_deficits(1, 4), event(1, "2025-04-01", first_codes()[10][1]),
              *with_deficits(2, 4), event(2, "2025-03-31", first_codes()[10][1])]
    patients = [patient(1, born="1950-01-01"), patient(2, born="1950-01-01")]
    assert scores(tmp_path, patients, events) == {1: (4, 0.11, "fit"), 2: (5, 0.14, "mild")}


def test_who_is_scored(tmp_path):
    patients = [
        patient(1, born="1960-03-01"),  # 65 in March 2025: in
        patient(2, born="1960-04-01"),  # 64 on 31 March 2025: out
        patient(3, born="1940-01-01", date_of_death="2025-01-01",
                registration_end="2025-01-01"),  # died: out
        patient(4, born="1940-01-01", registration_start="2025-04-01"),  # registers after
        patient(5, born="1930-01-01"),  # no deficits: scored 0
    ]
    events = [e for pid in (1, 2, 3, 4) for e in with_deficits(pid, 2)]
    assert scores(tmp_path, patients, events) == {1: (2, 0.06, "fit"), 5: (0, 0.0, "fit")}


def test_polypharmacy_is_five_distinct_medicines_in_the_last_12_months(tmp_path):
    def five(pid, first_date="2024-06-01", strengths=False):
        bnf = ["0205051R0AAABAB", "0206020A0AAAAAA", "0212000B0AAABAB", "0601022B0AAABAB",
               "0407010H0AAAMAM"]
        if strengths:  # a second strength of the first medicine instead of the fifth
            bnf[4] = "0205051R0AAACAC"
        return [medicine(pid, first_date, b, f"{pid}{i}") for i, b in enumerate(bnf)]

    meds = [
        *five(1),  # five medicines in the year: polypharmacy
        *five(2, strengths=True),  # four medicines, one in two strengths: not
        *five(3, first_date="2024-03-31"),  # a year and a day before: outside
        *five(4, first_date="2024-04-01"),  # exactly inside the 12 months
        *[medicine(5, "2024-09-01", None, f"dmd{i}") for i in range(5)],  # dm+d only: 5
    ]
    patients = [patient(pid, born="1950-01-01") for pid in (1, 2, 3, 4, 5)]
    got = scores(tmp_path, patients, [], meds)
    assert {pid: n for pid, (n, _, _) in got.items()} == {1: 1, 2: 0, 3: 0, 4: 1, 5: 1}


def test_the_deficits_behind_a_score_are_listed(tmp_path):
    (d1, c1), (d2, c2) = first_codes()[:2]
    events = [event(1, "2018-02-03", c2), event(1, "2021-07-08", c1), event(1, "2019-01-01", c1)]
    lake = open_with(tmp_path, [patient(1, born="1950-01-01")], events)
    rows = efi_deficits(lake, AS_OF).to_pandas().sort_values("deficit")
    assert list(rows.deficit) == sorted([d1, d2])
    first = dict(zip(rows.deficit, rows.first_date.astype(str), strict=True))
    assert first == {d1: "2019-01-01", d2: "2018-02-03"}
    listed = efi(lake, AS_OF).deficit_list.iloc[0]
    assert listed == "; ".join(sorted([DEFICIT_LABELS[d1], DEFICIT_LABELS[d2]]))


#: Published shares among people 65+ (Clegg et al. 2016; clinical-indicators note 1.5 and
#: 4.5) and how far a small synthetic lake may stray: the generator aims at them, and a lake of
#: a few thousand people 65+ carries sampling noise of about 1 percentage point.
PUBLISHED = {"fit": 50.0, "mild": 35.0, "moderate": 12.0, "severe": 3.0}
TOLERANCE = {"fit": 6.0, "mild": 6.0, "moderate": 4.0, "severe": 2.0}


@pytest.mark.slow
def test_distribution_on_a_small_synthetic_lake(lake):
    scores_ = efi(lake, lake.reference_date)
    assert len(scores_) > 1000
    shares = efi_distribution(scores_)
    for name, aim in PUBLISHED.items():
        assert abs(shares[name] - aim) <= TOLERANCE[name], (name, shares.round(1).to_dict())


@pytest.mark.slow
def test_the_calibration_queries_measure_the_same_distribution(lake):
    # `icsight synth --check` measures the eFI in SQL, independently of this module's Ibis
    from icsight.synth.neighbourhood import TARGETS

    shares = efi_distribution(efi(lake, lake.reference_date))
    for name in PUBLISHED:
        (target,) = [t for t in TARGETS if t.id == f"efi_{name}_65plus"]
        assert target.measure(lake) == pytest.approx(shares[name], abs=1e-9), name


def test_joined_sorted_sorts_each_keys_items_and_the_keys():
    # worked by hand: key 1 has z and y -> "y; z"; key 2 has b and a -> "a; b"; key 3 "c";
    # a repeated item is kept, as in the deficits of two codes for one condition
    keys = pd.Series([2, 1, 2, 1, 3, 3], dtype="int64")
    items = pd.Series(["b", "z", "a", "y", "c", "c"])
    out = joined_sorted(keys, items)
    assert out.index.tolist() == [1, 2, 3]
    assert out.tolist() == ["y; z", "a; b", "c; c"]
    assert joined_sorted(keys.head(0), items.head(0)).empty
    with pytest.raises(ValueError):
        joined_sorted(keys, items.head(2))
