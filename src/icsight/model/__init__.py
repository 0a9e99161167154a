"""The canonical model: table schemas, reference geography and codelists."""

from icsight.model.schema import ANALYTICS_TABLES, REFERENCE_TABLES, TABLES, table

__all__ = ["ANALYTICS_TABLES", "REFERENCE_TABLES", "TABLES", "table"]
