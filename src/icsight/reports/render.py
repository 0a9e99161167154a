"""A board paper as HTML and as PDF.

The HTML is one self-contained file (its print stylesheet inline, its charts inline SVG), so
it opens anywhere and loads nothing from another host. The PDF is the same HTML laid out by
WeasyPrint with the print stylesheet: A4, a running header with the paper's title and the
government security classification "OFFICIAL" (Cabinet Office, "Government Security
Classifications"), page numbers in the footer, and each section on a new page. WeasyPrint is
given a URL fetcher that refuses every URL, so not even a stray link can reach a network.
Fonts fall back to Arial and the system's sans-serif, as on the web pages.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from icsight.reports.paper import BoardPaper, Metric

__all__ = ["STYLESHEET", "html_policy", "to_html", "to_pdf", "write_paper"]

TEMPLATES = Path(__file__).with_name("templates")
STYLESHEET = (TEMPLATES / "board_paper.css").read_text(encoding="utf-8")

ENVIRONMENT = Environment(loader=FileSystemLoader(TEMPLATES),
                          autoescape=select_autoescape(["jinja", "html"]),
                          trim_blocks=True, lstrip_blocks=True)


def _chart_svg(metric: Metric) -> str | None:
    """The metric's SPC chart as inline SVG, or None while no chart can be drawn: the one
    place the charts (`icsight.charts`) plug in. The chart's points are the series the paper
    may show (`metric.figures.chart`), and its data table is printed beside it either way."""
    return None


def _variation_icon_svg(icon: str | None) -> str | None:
    """The Making Data Count variation icon as inline SVG (None: the text icon is shown)."""
    return None


def _assurance_icon_svg(icon: str | None) -> str | None:
    """The Making Data Count assurance icon as inline SVG (None: the text icon is shown)."""
    return None


def to_html(paper: BoardPaper) -> str:
    """The paper as one HTML document (print stylesheet inline, nothing from another host)."""
    charts = {m.id: _chart_svg(m) for s in paper.sections for m in s.charted}
    icons = {m.id: (_variation_icon_svg(m.figures.variation_icon),
                    _assurance_icon_svg(m.figures.assurance_icon)) for m in paper.metrics}
    return ENVIRONMENT.get_template("board_paper.jinja").render(
        paper=paper, stylesheet=STYLESHEET, charts=charts, icons=icons)


def html_policy() -> str:
    """The Content-Security-Policy the HTML is served with: its own inline stylesheet (by
    hash) and inline images only."""
    digest = base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _no_fetching(url: str, *args, **kwargs) -> dict:
    """WeasyPrint's URL fetcher: none. A paper holds everything it shows."""
    raise ValueError(f"board papers load nothing from elsewhere ({url[:60]})")


def to_pdf(html: str) -> bytes:
    """The HTML laid out on A4 pages by WeasyPrint."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetching).write_pdf()


def write_paper(paper: BoardPaper, out_dir: str | Path, name: str) -> tuple[Path, Path]:
    """Write `name`.html and `name`.pdf into `out_dir` (made if missing); their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = to_html(paper)
    html_path, pdf_path = out / f"{name}.html", out / f"{name}.pdf"
    html_path.write_text(html, encoding="utf-8")
    pdf_path.write_bytes(to_pdf(html))
    return html_path, pdf_path
