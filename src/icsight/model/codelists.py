"""Codelists: sets of clinical codes that define a condition, a measurement or a medicine.

Each codelist is a CSV in `icsight/data/codelists/` with a `code` column, copied from its
published source (QOF/PCD reference sets via OpenCodelists, OpenSAFELY, GM-SDE); the source and
version of each are in that folder's SOURCES.md. Codelists defined here from those files (such as
the home and ambulatory BP subsets) say how in their docstring.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from icsight.model.reference import data_path


@dataclass(frozen=True)
class Codelist:
    """A named set of codes with a human-readable term for each."""

    name: str
    terms: dict[str, str]
    source: str

    @property
    def codes(self) -> list[str]:
        return sorted(self.terms)

    def __contains__(self, code: object) -> bool:
        return code in self.terms

    def __len__(self) -> int:
        return len(self.terms)

    def where_term(self, *words: str) -> Codelist:
        """The codes whose term contains every one of `words` (case-insensitive)."""
        wanted = [w.lower() for w in words]
        kept = {c: t for c, t in self.terms.items() if all(w in t.lower() for w in wanted)}
        return Codelist(f"{self.name}[{' '.join(words)}]", kept, self.source)


@cache
def codelist(name: str) -> Codelist:
    """Load packaged codelist `name` (the CSV file name without `.csv`)."""
    path = data_path("codelists", f"{name}.csv")
    if not path.is_file():
        raise KeyError(f"no codelist {name!r} in icsight/data/codelists/")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Codelist(name, {r["code"]: r.get("term", "") for r in rows},
                    f"icsight/data/codelists/{name}.csv (see SOURCES.md)")


# Home and ambulatory BP codes. CVDPREVENT applies lower thresholds to home/ambulatory readings
# (from the June 2024 extract); these are the QOF systolic/diastolic observables whose term says
# the reading was self-measured, at home or ambulatory (24-hour, day or night interval).
_HOME_WORDS = ("home", "self reported", "ambulatory", "24 hour", "day interval", "night interval")


def _home_subset(name: str) -> Codelist:
    base = codelist(name)
    kept = {c: t for c, t in base.terms.items() if any(w in t.lower() for w in _HOME_WORDS)}
    return Codelist(f"{name}_home_ambulatory", kept, base.source + "; home/ambulatory subset")


@cache
def home_systolic_bp() -> Codelist:
    """Systolic BP codes for home or ambulatory readings (subset of `systolic_bp_qof`)."""
    return _home_subset("systolic_bp_qof")


@cache
def home_diastolic_bp() -> Codelist:
    """Diastolic BP codes for home or ambulatory readings (subset of `diastolic_bp_qof`)."""
    return _home_subset("diastolic_bp_qof")


#: The codelists of the neighbourhood cohorts and the electronic frailty index
#: (`icsight.risk.cohorts`, `icsight.risk.frailty`; records written by
#: `icsight.synth.neighbourhood`): name -> what a code in it records. Sources in SOURCES.md.
NEIGHBOURHOOD_CODELISTS = {
    "carehome_cod": "care home residence, visit, admission or referral (NHSD CAREHOME_COD)",
    "longres_primis": "lives in a nursing, residential or care home (PRIMIS LONGRES)",
    "housebound_opensafely": "housebound, bed-ridden or temporarily housebound (OpenSAFELY)",
    "no_longer_housebound_opensafely": "no longer housebound (OpenSAFELY)",
    "palcare_cod": "palliative or end of life care; the QOF palliative care register "
                   "(NHSD PALCARE_COD)",
    "mildfrail_cod": "mild frailty diagnosis (NHSD MILDFRAIL_COD)",
    "modfrail_cod": "moderate frailty diagnosis (NHSD MODFRAIL_COD)",
    "sevfrail_cod": "severe frailty diagnosis (NHSD SEVFRAIL_COD)",
    "efi_deficits_snomed": "the 35 coded deficits of the electronic frailty index (GM-SDE), "
                           "read by `icsight.risk.frailty.deficit_codes`, not by `codelist`",
    "ld_cod_20241205": "learning disability register (NHSD LD_COD, 2024-12-05)",
}
