"""Rows as JSON-ready dicts, the way every service has always returned them."""

from __future__ import annotations

import json

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict]:
    """`frame`'s rows as dicts of JSON values (dates as ISO 8601, missing as None)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))
