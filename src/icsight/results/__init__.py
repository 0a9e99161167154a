"""The results store: computed indicator series with the provenance to reproduce them, and
their SPC and inequality summaries (`summaries`)."""

from icsight.results.store import RUN_TABLES, build, latest_run, read_latest

__all__ = ["RUN_TABLES", "build", "latest_run", "read_latest"]
