"""The code lists behind the coded columns that several settings share.

Diagnoses (ICD-10) come from emergency and elective spells; treatment functions from RTT
pathways, outpatients, and emergency and elective spells. Spells carry indices into these
lists, so emergency and elective spells can share the `apc_spells` table. The lists are built
from the settings' own tables by `code_lists()`, which the orchestrator (`hospital.generate`)
calls once and passes to the settings as a `CodeLists` (defined in `common`); the settings
never import this module, so the imports run one way only.
"""

from __future__ import annotations

from icsight.synth.hospital.common import CodeLists
from icsight.synth.hospital.elective import ELECTIVE_CASES
from icsight.synth.hospital.emergency import (
    CONDITION_DIAGNOSES,
    EMERGENCY_DIAGNOSES,
    EMERGENCY_SPECIALTY,
)
from icsight.synth.hospital.waiting_list import TREATMENT_FUNCTIONS

__all__ = ["CodeLists", "code_lists"]


def code_lists() -> CodeLists:
    """Every diagnosis and treatment function code the settings draw, each once, in order."""
    diagnoses = list(dict.fromkeys(
        [*EMERGENCY_DIAGNOSES,
         *(c for codes, _, _ in CONDITION_DIAGNOSES.values() for c in codes),
         *(case[1] for cases in ELECTIVE_CASES.values() for case in cases)]))
    functions = list(dict.fromkeys(
        [*TREATMENT_FUNCTIONS, *ELECTIVE_CASES, *EMERGENCY_SPECIALTY.values(),
         "300", "420", "430"]))
    return CodeLists(diagnoses, functions)
