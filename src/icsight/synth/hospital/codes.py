"""The code lists behind the coded columns that several settings share.

Diagnoses (ICD-10) come from emergency and elective spells; treatment functions from RTT
pathways, outpatients, and emergency and elective spells. Spells carry indices into these
lists, so emergency and elective spells can share the `apc_spells` table. The lists are built
from the settings' own tables, so the settings import them inside the functions that use
them (an import at the top of a setting module would be circular).
"""

from __future__ import annotations

from icsight.synth.hospital.elective import ELECTIVE_CASES
from icsight.synth.hospital.emergency import (
    CONDITION_DIAGNOSES,
    EMERGENCY_DIAGNOSES,
    EMERGENCY_SPECIALTY,
)
from icsight.synth.hospital.waiting_list import TREATMENT_FUNCTIONS

DIAGNOSIS_CODES = list(dict.fromkeys(
    [*EMERGENCY_DIAGNOSES, *(c for codes, _, _ in CONDITION_DIAGNOSES.values() for c in codes),
     *(case[1] for cases in ELECTIVE_CASES.values() for case in cases)]))

FUNCTION_CODES = list(dict.fromkeys(
    [*TREATMENT_FUNCTIONS, *ELECTIVE_CASES, *EMERGENCY_SPECIALTY.values(), "300", "420", "430"]))
