"""Emergency admission risk in the results store: everyone registered scored at each build.

    RESULTS/
      models/<version>.json       the risk model (`icsight.risk.admissions`), trained once per
                                  version: a new lake (or new features, dates or settings)
                                  makes a new version, and the next build trains it
      <run id>/risk_scores.parquet  patient_id, practice_code, risk, top_reasons,
                                  last_year_of_life: what the worklists show beside each row
                                  (top_reasons only for the patients the run's worklists
                                  name, the only place they are shown)

The model is **trained** on the planning view of the lake (people with a national data opt-out
left out: building a model is planning, not care) and **scores** the direct-care view, because
the scores serve case finding for the patient's own practice, as the worklists do. The version
goes into the run's provenance.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd

from icsight.governance.purpose import Purpose
from icsight.results.worklists import direct_care_view
from icsight.risk.admissions import load, model_spec, score, split_dates, train, version_of

__all__ = ["MODELS", "model_for", "write_risk_scores"]

#: The folder of the results store that keeps trained models.
MODELS = "models"


def model_for(lake, out_dir: Path):
    """The model for this lake: the one saved under its version if there is one, else a new
    one trained now and saved. Returns (model, trained now?)."""
    planning = lake.for_purpose(Purpose.PLANNING)
    train_as_of, validate_as_of, _ = split_dates(planning)
    version = version_of(model_spec(planning, train_as_of, validate_as_of))
    path = Path(out_dir) / MODELS / f"{version}.json"
    if path.is_file():
        return load(path), False
    model = train(planning, train_as_of, validate_as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model, True


def write_risk_scores(lake, as_of: dt.date, folder: Path, out_dir: Path) -> dict:
    """Score everyone registered on `as_of` into `folder` (a run being written) with the
    store's model for this lake; returns what the provenance says."""
    started = time.perf_counter()
    model, trained = model_for(lake, out_dir)
    # the reasons are shown only beside worklist rows: said for their patients alone
    listed = folder / "worklists.parquet"
    explain = (pd.read_parquet(listed, columns=["patient_id"]).patient_id.unique()
               if listed.is_file() else None)
    scores = score(direct_care_view(lake), as_of, model, explain=explain)
    scores.to_parquet(folder / "risk_scores.parquet", index=False, row_group_size=4096)
    return {"model_version": model.version, "trained_in_this_build": trained,
            "model": f"{MODELS}/{model.version}.json", "as_of": as_of.isoformat(),
            "people_scored": len(scores), "purpose": Purpose.DIRECT_CARE.value,
            "trained_on": Purpose.PLANNING.value,
            "seconds": round(time.perf_counter() - started, 1)}
