"""CVDP007HYP: the Ibis query agrees with a plain-Python reading of the rules.

The reference below is written for clarity, not speed, straight from the definition in
`icsight.indicators.programmes.cvdprevent` (ehrQL's "in-memory engine" idea): Hypothesis
generates small random populations of codes and readings, and both must give the same answer
for every patient.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.engine import open_lake
from icsight.indicators.programmes.cvdprevent import cvdp007hyp_patients
from tests.lakes import event, make_lake, patient

CODES = {"hyp": "59621000", "res": "162659009", "sys": "271649006", "dia": "271650006",
         "hsys": "198081000000101", "hdia": "198091000000104"}


def reference(patients: list[dict], events: list[dict], as_of: dt.date) -> dict[int, bool]:
    start = as_of.replace(year=as_of.year - 1)
    out = {}
    for p in patients:
        mob = p["month_of_birth"]
        age = as_of.year - mob.year - (1 if mob.month > as_of.month else 0)
        registered = p["registration_start"] <= as_of and (
            p["registration_end"] is None or p["registration_end"] > as_of)
        alive = p["date_of_death"] is None or p["date_of_death"] > as_of
        if not (registered and alive and age >= 18):
            continue
        mine = [e for e in events if e["patient_id"] == p["patient_id"] and e["date"] <= as_of]
        dx = max((e["date"] for e in mine if e["snomed_code"] == CODES["hyp"]), default=None)
        rx = max((e["date"] for e in mine if e["snomed_code"] == CODES["res"]), default=None)
        if dx is None or (rx is not None and rx >= dx):
            continue
        days: dict[dt.date, dict] = {}
        for e in mine:
            if not start < e["date"] <= as_of:
                continue
            code, v = e["snomed_code"], e["numeric_value"]
            kind = {CODES["sys"]: ("s", False), CODES["hsys"]: ("s", True),
                    CODES["dia"]: ("d", False), CODES["hdia"]: ("d", True)}.get(code)
            if kind is None or v is None or v < (50 if kind[0] == "s" else 20):
                continue
            d = days.setdefault(e["date"], {"s": [], "d": [], "home": []})
            d[kind[0]].append(v)
            d["home"].append(kind[1])
        paired = [day for day, d in days.items() if d["s"] and d["d"]]
        if not paired:
            out[p["patient_id"]] = False
            continue
        last = days[max(paired)]
        home = all(last["home"]) and as_of >= dt.date(2024, 6, 30)
        s_lim = (145 if age >= 80 else 135) if home else (150 if age >= 80 else 140)
        d_lim = 85 if home else 90
        out[p["patient_id"]] = min(last["s"]) <= s_lim and min(last["d"]) <= d_lim
    return out


AS_OF = (dt.date(2025, 3, 31), dt.date(2024, 3, 31))


@st.composite
def populations(draw):
    n = draw(st.integers(1, 6))
    as_of = draw(st.sampled_from(AS_OF))
    patients, events = [], []
    for pid in range(1, n + 1):
        born = dt.date(draw(st.integers(1925, 2010)), draw(st.integers(1, 12)), 1)
        end = draw(st.sampled_from([None, as_of - dt.timedelta(days=10),
                                    as_of + dt.timedelta(days=10)]))
        patients.append(patient(pid, born=born.isoformat(), registration_end=end))
        for _ in range(draw(st.integers(0, 8))):
            kind = draw(st.sampled_from(list(CODES)))
            day = as_of + dt.timedelta(days=draw(st.integers(-420, 20)))
            value = None
            if kind in ("sys", "hsys"):
                value = float(draw(st.integers(40, 190)))
            elif kind in ("dia", "hdia"):
                value = float(draw(st.integers(15, 110)))
            events.append(event(pid, day.isoformat(), CODES[kind], value))
    return patients, events, as_of


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_ibis_query_matches_reference_rules(population):
    patients, events, as_of = population
    with tempfile.TemporaryDirectory() as tmp:
        lake = open_lake(make_lake(Path(tmp), patients, events))
        df = cvdp007hyp_patients(lake, as_of).to_pandas()
    got = dict(zip(df.patient_id.tolist(), df.treated_to_target.tolist(), strict=True))
    assert got == reference(patients, events, as_of)
