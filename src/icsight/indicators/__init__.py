"""Indicators as code: Ibis queries over the canonical model.

- `periods`: the table of period ends every definition is written against;
- `cohorts`, `population`: the language definitions are written in;
- `definition`: what an indicator is; `programmes/`: every indicator, one module per
  programme; `catalogue`: all of them, by id;
- `breakdown`: counts by every breakdown, intervals and the tidy output;
- `series`: monthly series (SPC and inequality summaries are in `icsight.results`).
"""

from icsight.indicators.programmes.cvdprevent import cvdp007hyp, cvdp007hyp_patients

__all__ = ["cvdp007hyp", "cvdp007hyp_patients"]
