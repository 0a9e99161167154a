"""Statistical methods NHS analysts know, ported (maths, not code) from PHEindicatormethods."""

from icsight.stats.proportions import wilson

__all__ = ["wilson"]
