"""Hospital activity: A&E, emergency and elective admissions, outpatients and the waiting list.

Every person uses one trust for all their care and carries one relative risk of admission
(`common`). The settings then draw, in this order, from the one `hospital` random stream:

* `emergency`: emergency spells by age rate and risk, extra admissions in the last year of
  life and deaths in hospital;
* `waiting_list`: RTT pathways; the ones stopped by admission inside the window feed
* `elective`: those admissions plus planned care outside RTT, booked around the person's
  emergency spells (this module's and cancer's): one that would meet an emergency spell is
  rebooked after the discharge, and its pathway stops on the new day; emergency and elective
  spells together make `apc_spells`;
* `ae`: the attendances that led to three-quarters of the emergency spells, the rest of the
  age rate, and deaths in A&E;
* `outpatients`: the first appointments, follow-ups and reviews of the RTT pathways.

It also leaves the emergency discharges on the context (`ctx.discharges`) for the virtual wards
that step down from them (`community`).

`codes.code_lists()` builds the diagnosis and treatment function lists the settings share, from
the settings' own tables; `generate` builds them once and passes them to each setting that codes
a column (the settings never import `codes`). `targets` holds the calibration targets measured
from the generated tables.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from icsight.synth.context import SynthContext, to_table
from icsight.synth.hospital.ae import _ec_attendances
from icsight.synth.hospital.codes import code_lists
from icsight.synth.hospital.common import PROVIDERS, CodeLists, _Cohort, _cohort, _strings
from icsight.synth.hospital.elective import PROCEDURE_CODES, _elective_spells
from icsight.synth.hospital.emergency import DISCHARGE_DESTINATIONS, _emergency_spells
from icsight.synth.hospital.outpatients import _outpatients
from icsight.synth.hospital.targets import TARGETS
from icsight.synth.hospital.waiting_list import _rescheduled, _rtt_pathways, _rtt_table

__all__ = ["TARGETS", "generate"]

STREAM = "hospital"


def generate(ctx: SynthContext) -> dict[str, pa.Table]:
    """A&E attendances, admissions, outpatient appointments and RTT pathways.

    Also sets `ctx.died_in_hospital` (who died on a ward or in A&E) for the deaths module.
    """
    lists = code_lists()
    rng = ctx.rng(STREAM)
    cohort = _cohort(ctx, rng)
    emergency, died_in_ed = _emergency_spells(ctx, rng, cohort, lists)
    rtt, rtt_stops = _rtt_pathways(ctx, rng, cohort, lists)
    elective, admitted_on = _elective_spells(ctx, rng, rtt_stops, lists,
                                             _all_emergency(ctx, emergency))
    rtt = _rescheduled(ctx, rtt, rtt_stops[0], admitted_on)
    apc = _apc_table(ctx, cohort, emergency, elective, lists)
    ec = _ec_attendances(ctx, rng, cohort, emergency, died_in_ed)
    died = np.zeros(ctx.pop.n, bool)
    for spells in (emergency, elective):
        died[spells["person"][spells["dest"] == DISCHARGE_DESTINATIONS.index("died")]] = True
    died[died_in_ed] = True
    ctx.died_in_hospital = died
    home = emergency["dest"] >= 0
    home &= emergency["dest"] != DISCHARGE_DESTINATIONS.index("died")
    home &= emergency["dest"] != DISCHARGE_DESTINATIONS.index("other_provider")
    every = _all_emergency(ctx, emergency)
    ctx.discharges = {"person": emergency["person"][home], "adm": emergency["adm"][home],
                      "dis": emergency["dis"][home],
                      "all_person": np.concatenate([every["person"], elective["person"]]),
                      "all_adm": np.concatenate([every["adm"], elective["adm"]])}
    return {"apc_spells": apc, "ec_attendances": ec,
            "op_appointments": _outpatients(ctx, rng, cohort, lists, rtt),
            "rtt_pathways": _rtt_table(ctx, cohort, lists, rtt)}


def _all_emergency(ctx, emergency: dict) -> dict:
    """Emergency spells from this module and cancer's (diagnosed after an emergency admission),
    the spells planned admissions must avoid."""
    other = ctx.cancer_admissions or {k: np.empty(0, np.int64) for k in ("person", "adm", "dis")}
    return {k: np.concatenate([emergency[k].astype(np.int64), other[k].astype(np.int64)])
            for k in ("person", "adm", "dis")}


def _apc_table(ctx, cohort: _Cohort, em: dict, el: dict, lists: CodeLists) -> pa.Table:
    """Emergency and elective spells together, numbered in order of admission."""
    n_em = len(em["person"])
    em = {**em, "day_case": np.zeros(n_em, bool), "proc": np.full(n_em, -1)}
    cols = {k: np.concatenate([em[k], el[k]]) for k in
            ("person", "adm", "dis", "day_case", "diag", "proc", "tf", "dest")}
    method = np.repeat([1, 0], [n_em, len(el["person"])])  # emergency, elective
    order = np.lexsort((cols["person"], cols["adm"]))
    cols = {k: v[order] for k, v in cols.items()}
    person = cols["person"]
    return to_table("apc_spells", {
        "patient_id": ctx.pop.patient_id[person],
        "spell_id": np.arange(1, len(person) + 1, dtype=np.int64),
        "provider_code": _strings(PROVIDERS, cohort.provider[person]),
        "admission_date": cols["adm"],
        "discharge_date": cols["dis"],
        "admission_method": _strings(("elective", "emergency"), method[order]),
        "patient_classification": _strings(("ordinary", "day_case"),
                                           cols["day_case"].astype(np.int8)),
        "primary_diagnosis": _strings(lists.diagnoses, cols["diag"]),
        "primary_procedure": _strings(PROCEDURE_CODES, cols["proc"]),
        "treatment_function": _strings(lists.functions, cols["tf"]),
        "discharge_destination": _strings(DISCHARGE_DESTINATIONS, cols["dest"]),
    })
