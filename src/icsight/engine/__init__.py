"""The engine: the one place that opens connections to the lake.

Every query in icsight is written once, against the canonical tables, as an Ibis expression;
this module decides which backend runs it. DuckDB (embedded, reading the Parquet files in
place) is the default. A Spark backend plugs in here without any query changing.
"""

from icsight.engine.lake import Lake, LakeError, open_lake

__all__ = ["Lake", "LakeError", "open_lake"]
