"""A small generated population and some of its record tables, queryable with DuckDB SQL.

Shared by the generator module tests: figures are measured from the generated tables, the way
the calibration check measures a lake, never from the generators' internal variables.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from icsight.model.reference import lsoas
from icsight.synth import build_context
from icsight.synth.context import NO_DATE, date_of
from icsight.synth.people import patients_table


class Generated:
    """A context, the tables `modules` generate for it, and a DuckDB connection over them."""

    def __init__(self, population: int, seed: int, modules):
        self.modules = modules
        self.ctx = build_context(population, seed=seed)
        self.tables: dict[str, pa.Table] = {}
        for module in modules:
            self.tables.update(module.generate(self.ctx))
        self.con = duckdb.connect()
        self.con.register("patients", patients_table(self.ctx))
        self.con.register("lsoas", lsoas())
        for name, t in self.tables.items():
            self.con.register(name, t)
        self.ref = date_of(self.ctx.reference_date)
        order = np.argsort(self.ctx.pop.patient_id)
        self._ids, self._order = self.ctx.pop.patient_id[order], order

    def sql(self, query: str) -> float:
        return self.con.sql(self._fill(query)).fetchone()[0]

    def frame(self, query: str):
        return self.con.sql(self._fill(query)).df()

    def _fill(self, query: str) -> str:
        return query.format(ref=f"DATE '{self.ref}'",
                            start=f"DATE '{date_of(self.ctx.window_start)}'")

    def target(self, target_id: str):
        """(measured value, Target) for a calibration target of one of the modules."""
        t = next(t for m in self.modules for t in m.TARGETS if t.id == target_id)
        return self.sql(t.sql), t

    def people(self, name: str) -> np.ndarray:
        """Population index of each row of a table."""
        return self.index_of(self.tables[name]["patient_id"].to_numpy())

    def index_of(self, patient_ids) -> np.ndarray:
        """Population index of each patient id."""
        ids = np.asarray(patient_ids, dtype=np.int64)
        return self._order[np.searchsorted(self._ids, ids)]

    def days(self, name: str, column: str) -> np.ndarray:
        """A date column as day numbers (NO_DATE for nulls)."""
        col = self.tables[name][column].cast(pa.int32()).fill_null(NO_DATE)
        return col.to_numpy().astype(np.int64)
