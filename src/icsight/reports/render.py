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
import functools
import hashlib
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from icsight.reports.paper import BoardPaper, Metric

__all__ = ["STYLESHEET", "html_policy", "to_html", "to_pdf", "write_paper"]

TEMPLATES = Path(__file__).with_name("templates")
STYLESHEET = (TEMPLATES / "board_paper.css").read_text(encoding="utf-8")

ENVIRONMENT = Environment(loader=FileSystemLoader(TEMPLATES),
                          autoescape=select_autoescape(["jinja", "html"]),
                          trim_blocks=True, lstrip_blocks=True)


#: An indicator's polarity as `icsight.charts.spc_chart` names the better direction.
IMPROVEMENT = {"higher is better": "higher", "lower is better": "lower"}


def _chart_svg(metric: Metric) -> dict | None:
    """The metric's SPC chart: its inline SVG, the rows of the data table printed beside it
    and its text alternative (None: the metric is not in the build). The one place the
    charts (`icsight.charts`) plug in. The series drawn is the one the paper may show
    (`metric.figures.series`: published values, a withheld month as None, which the chart
    leaves out of the statistics and writes as withheld in its table)."""
    if not metric.figures.in_build:
        return None
    ind = metric.indicator
    points = tuple((row["period_end"], row["value"]) for row in metric.figures.series)
    return dict(_drawn(ind.title, ind.unit, ind.target,
                       IMPROVEMENT.get(ind.polarity, "neutral"), points))


@functools.lru_cache(maxsize=256)
def _drawn(title: str, unit: str, target: float | None, improvement: str,
           points: tuple[tuple[str, float | None], ...]) -> tuple[tuple[str, object], ...]:
    """A chart drawn once for the same series (drawing SVG takes most of a second, and the
    same build is downloaded again and again)."""
    from icsight.charts import chart_description, chart_table, spc_chart, to_svg

    series = pd.DataFrame(list(points), columns=["period_end", "value"])
    chart = spc_chart(series, title=title, unit=unit, target=target, improvement=improvement)
    about = chart.to_dict()["usermeta"]["icsight"]
    return (("svg", to_svg(chart)), ("table", chart_table(chart)),
            ("description", chart_description(chart)),
            ("variation_icon", about.get("variation_icon")))


def _variation_icon_svg(icon: str | None) -> str:
    """The Making Data Count variation icon as inline SVG (its words beside it in the page)."""
    from icsight.charts import variation_icon_svg

    return variation_icon_svg(icon, size=28)


def _assurance_icon_svg(icon: str | None) -> str:
    """The Making Data Count assurance icon as inline SVG."""
    from icsight.charts import assurance_icon_svg

    return assurance_icon_svg(icon, size=28)


def to_html(paper: BoardPaper) -> str:
    """The paper as one HTML document (print stylesheet inline, nothing from another host)."""
    charts = {m.id: _chart_svg(m) for s in paper.sections for m in s.charted}
    icons = {m.id: (_variation_icon_svg(m.figures.variation_icon),
                    _assurance_icon_svg(m.figures.assurance_icon)) for m in paper.metrics}
    fan = _fan_svg(paper.planning.get("fan")) if paper.planning else None
    return ENVIRONMENT.get_template("board_paper.jinja").render(
        paper=paper, stylesheet=STYLESHEET, charts=charts, icons=icons, fan=fan)


def _fan_svg(fan: dict | None) -> dict | None:
    """The planning section's fan chart (`paper.planning_section`'s `fan`): its inline SVG,
    the table of every year printed beside it and its text alternative."""
    if not fan:
        return None
    from icsight.charts import chart_description, chart_table, to_svg
    from icsight.charts.planning import demand_fan_chart

    chart = demand_fan_chart(pd.DataFrame(fan["rows"]), title=f"{fan['name']}, BLMK",
                             measure_name=f"{str(fan['unit']).capitalize()} a year",
                             baseline=fan["baseline"], baseline_year=fan["baseline_year"],
                             baseline_label=f"baseline year (to {fan['baseline_end']})")
    return {"svg": to_svg(chart), "table": chart_table(chart),
            "description": chart_description(chart)}


def html_policy() -> str:
    """The Content-Security-Policy the HTML is served with: its own inline stylesheet (by
    hash) and inline images only."""
    digest = base64.b64encode(hashlib.sha256(STYLESHEET.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _no_fetching(url: str, *args, **kwargs) -> dict:
    """WeasyPrint's URL fetcher: none. A paper holds everything it shows."""
    raise ValueError(f"board papers load nothing from elsewhere ({url[:60]})")


@functools.lru_cache(maxsize=8)
def to_pdf(html: str) -> bytes:
    """The HTML laid out on A4 pages by WeasyPrint (kept for the same HTML: a paper is
    downloaded again and again, and laying it out takes seconds)."""
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
