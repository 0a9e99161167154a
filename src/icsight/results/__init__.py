"""The results store: computed indicator series with the provenance to reproduce them."""

from icsight.results.store import build, latest_run

__all__ = ["build", "latest_run"]
