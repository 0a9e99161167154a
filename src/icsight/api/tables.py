"""Every table the API serves, the same way: paged, as JSON or as CSV.

- **paging**: `?limit=` (1-10,000, default 1,000) rows from `?offset=` (0 or more). The JSON
  is `{"rows": [...], "total", "limit", "offset", "next", "previous"}`, `next` and `previous`
  being links (relative to the server, so a forged `Host` header cannot redirect a client)
  or null. A CSV page carries the same links in a `Link` header (RFC 8288) and the total in
  `X-Total-Count`. A limit or offset that is negative, zero (limit), too large or not a
  whole number is a 422 naming the parameter, before any data is read;
- **format**: `?format=csv` or `?format=json`; without it, an `Accept` header preferring
  `text/csv` to `application/json` gets CSV. The CSV has a header row and exactly the rows and
  values of the JSON page (so the same suppression: a withheld value is an empty cell);
- **spreadsheet safety**: every text cell a spreadsheet could run as a formula (starting with
  `=`, `+`, `-`, `@`, a tab or a carriage return, OWASP "CSV Injection") gets a quote in front
  (`icsight.services.records.spreadsheet_safe`, the rule the practice export uses). Numbers
  are written as numbers: a number from our own tables cannot hold a formula, and `-0.4` must
  stay a number to be summed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from icsight.services.records import spreadsheet_safe

__all__ = ["CSV_RESPONSE", "DEFAULT_LIMIT", "MAX_LIMIT", "MAX_OFFSET", "Page", "Table",
           "TablePage", "TableQuery", "as_csv", "respond", "respond_page"]

DEFAULT_LIMIT = 1_000
#: A page's most rows: ten thousand rows of JSON are a few megabytes, which a browser or a
#: script handles at once; longer tables are read page by page.
MAX_LIMIT = 10_000
#: Past any table icsight holds (BLMK has about 1.2 million people), and small enough that
#: every database reads it as an ordinary integer.
MAX_OFFSET = 1_000_000_000
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}


class TablePage(BaseModel):
    """One page of a table (the JSON form)."""

    rows: list[dict]
    total: int
    limit: int
    offset: int
    next: str | None = None
    previous: str | None = None


#: What the OpenAPI document says a table endpoint answers.
CSV_RESPONSE = {200: {"content": {"text/csv": {}},
                      "description": "The page as JSON, or as CSV with ?format=csv"}}


@dataclass(frozen=True)
class TableQuery:
    """What the request asked for: the page, the format, and where to link to."""

    limit: int
    offset: int
    format: str
    request: Request

    def bounds(self, total: int) -> slice:
        return slice(min(self.offset, total), min(self.offset + self.limit, total))


@dataclass(frozen=True)
class Page:
    """The rows of one page, out of `total`; `columns` names them even when the page is
    empty (a CSV still gets its header row)."""

    rows: list[dict]
    total: int
    columns: list[str] | None = None


def _table_query(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT,
                                    description=f"Rows per page, 1-{MAX_LIMIT:,}.")]
        = DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET,
                                     description="Rows to skip before the page.")] = 0,
        format: Annotated[Literal["json", "csv"] | None,
                          Query(description="json or csv (default: from the Accept "
                                            "header, else json).")] = None,
) -> TableQuery:
    return TableQuery(limit, offset, format or _from_accept(request.headers.get("accept")),
                      request)


#: A table endpoint's page and format, for its signature.
Table = Annotated[TableQuery, Depends(_table_query)]


def _from_accept(accept: str | None) -> str:
    """csv if the Accept header rates text/csv above application/json (RFC 9110 quality
    values; the first listed wins a tie), else json."""
    best, best_q = "json", -1.0
    for item in (accept or "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        kind = {"text/csv": "csv", "application/json": "json"}.get(media.lower())
        if kind is None:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q and q > 0:
            best, best_q = kind, q
    return best


def respond(query: TableQuery, rows: list[dict], name: str,
            columns: list[str] | None = None) -> Response:
    """A page of `rows` (the whole table), as the request asked. The CSV's columns are the
    whole table's, so every page has the same header, an empty one included."""
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    return respond_page(query, Page(rows[query.bounds(len(rows))], len(rows), columns), name)


def respond_page(query: TableQuery, page: Page, name: str) -> Response:
    """`page` (already cut by the service) as JSON or CSV, with its links."""
    next_link = _link(query, query.offset + query.limit) \
        if query.offset + query.limit < page.total else None
    previous_link = _link(query, max(0, query.offset - query.limit)) if query.offset else None
    if query.format == "json":
        body = TablePage(rows=page.rows, total=page.total, limit=query.limit,
                         offset=query.offset, next=next_link, previous=previous_link)
        return JSONResponse(body.model_dump(), headers={"Vary": "Accept"})
    links = [f'<{url}>; rel="{rel}"' for rel, url in
             (("next", next_link), ("prev", previous_link)) if url]
    headers = {"Vary": "Accept", "X-Total-Count": str(page.total),
               "Content-Disposition": f'attachment; filename="{_file_name(name)}.csv"'}
    if links:
        headers["Link"] = ", ".join(links)
    return Response(as_csv(page.rows, page.columns), media_type="text/csv; charset=utf-8",
                    headers=headers)


def _link(query: TableQuery, offset: int) -> str:
    url = query.request.url.include_query_params(offset=offset, limit=query.limit)
    return f"{url.path}?{url.query}"


def _file_name(name: str) -> str:
    """`name` with anything but letters, digits, - and _ replaced: safe in a header."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:100] or "table"


def as_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    """`rows` as CSV (RFC 4180: comma, CRLF, quoted where needed) with a header row: the
    columns in the order first seen unless `columns` is given; missing values empty."""
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(str(c)) for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return text.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if not isinstance(value, str):  # nested lists or objects, as their JSON
        value = json.dumps(value, default=str)
    return spreadsheet_safe(value)
