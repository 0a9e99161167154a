"""Indicators as code: Ibis queries over the canonical model, one module per family."""

from icsight.indicators.cvdprevent import cvdp007hyp, cvdp007hyp_patients

__all__ = ["cvdp007hyp", "cvdp007hyp_patients"]
