"""Board reports: `icsight report` writes an NHS board paper as HTML and PDF, and the
programme pages' download serves the same paper.

Over a 12-month build of a few indicators from the test lake: the cover says what a board
paper's cover says; the summary matrix has one row per metric of the programme; the
exceptions are exactly the metrics whose Making Data Count signal (worked out here from the
build's spc.parquet, beside a published figure) is special cause of concern or a target not
assured; the figures are the published ones; commentary written to the application database
appears in the HTML and in the PDF's text; the PDF is A4 and more than one page; and bad
arguments get one clear message naming the option."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import insert

from icsight.api.app import create_app
from icsight.appdb import Accounts, open_database
from icsight.appdb.models import Commentary
from icsight.cli import main
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES
from icsight.results import latest_run
from icsight.services import Service
from tests.accounts import SECRET

#: Long-term conditions indicators with and without targets (three of them assured against
#: one), so the paper has metrics in and out of the build, and exceptions of both kinds.
BUILT = ("CVDP007HYP", "CVDP002HYP", "FLU_65", "HF_MRA", "SABA_PMDI_SHARE", "HYP_DETECTION")
PROGRAMME = "ltc"
#: Commentary written for one metric, with markup that must arrive as text.
NOTE = "Recall drive across six PCNs from July <b>bold</b> & 'quoted'"
A4 = (595.28, 841.89)  # points


@pytest.fixture(scope="module")
def paper(lake_dir, tmp_path_factory):
    """A 12-month build, commentary on CVDP007HYP for its last month, and the programme's
    paper written by `icsight report`."""
    folder = tmp_path_factory.mktemp("reports")
    results = folder / "results"
    done = CliRunner().invoke(main, ["build", "--lake", str(lake_dir), "--months", "12",
                                     "--out", str(results), "--id", ",".join(BUILT)])
    assert done.exit_code == 0, done.output
    run = latest_run(results)
    ends = sorted(pd.read_parquet(run / "spc.parquet").period_end.astype(str).str[:10].unique())
    month = ends[-1][:7]
    url = f"sqlite:///{folder / 'icsight.db'}"
    database = open_database(url)
    with database.engine.begin() as connection:
        connection.execute(insert(Commentary).values(
            metric_id="CVDP007HYP", month=dt.date.fromisoformat(month + "-01"),
            author="lead.ltc", text=NOTE))
        # a note for another month must not appear
        connection.execute(insert(Commentary).values(
            metric_id="FLU_65", month=dt.date.fromisoformat(ends[0][:7] + "-01"),
            author="lead.ltc", text="An older month's note"))
    out = folder / "papers"
    env = {"ICSIGHT_DATABASE_URL": url}
    done = CliRunner().invoke(main, ["report", "--programme", PROGRAMME, "--period", month,
                                     "--out", str(out), "--results", str(results),
                                     "--lake", str(lake_dir), "--audit-log",
                                     str(folder / "audit.jsonl")], env=env)
    assert done.exit_code == 0, done.output
    html = (out / f"{PROGRAMME}-{month}.html").read_text(encoding="utf-8")
    pdf = (out / f"{PROGRAMME}-{month}.pdf").read_bytes()
    return {"folder": folder, "results": results, "run": run, "month": month, "ends": ends,
            "html": html, "pdf": PdfReader(io.BytesIO(pdf)), "url": url, "env": env,
            "lake": lake_dir}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _expected_exceptions(run, end: str) -> set[str]:
    """Worked out here from spc.parquet: the ICB signal in the last month is special cause
    of concern, or the target fails or may or may not be met; kept only where the published
    ICB figure is (a signal beside a withheld figure is not shown)."""
    spc = pd.read_parquet(run / "spc.parquet")
    spc = spc[(spc.breakdown == "icb") & (spc.period_end.astype(str).str[:10] == end)]
    published = pd.read_parquet(run / "published_values.parquet")
    published = published[(published.breakdown == "icb")
                          & (published.period_end.astype(str).str[:10] == end)]
    shown = set(published.loc[~published.suppressed.astype(bool)
                              & published.value.notna(), "indicator_id"])
    flagged = spc[spc.variation_icon.isin(["concern_high", "concern_low"])
                  | spc.assurance_icon.isin(["fail", "inconsistent"])]
    return set(flagged.indicator_id) & shown


def test_cover_has_what_a_board_papers_cover_has(paper):
    text = _text(paper["html"].split('id="matrix"')[0])
    day = dt.date.fromisoformat(paper["month"] + "-01")
    assert "OFFICIAL" in text
    assert f"{PROGRAMMES[PROGRAMME]}: programme report" in text
    assert "Meeting Health and Care Professional Leadership Group" in text
    assert "Purpose For assurance" in text
    assert f"Period {day:%B %Y}" in text
    assert "Author Head of Population Health Intelligence" in text
    assert "Published figures: small numbers are suppressed" in text
    assert f"Date {dt.date.today().day} {dt.date.today():%B %Y}" in text
    # the executive summary is made from the figures: the count of metrics and built ones
    ltc = [i for i in catalogue().values() if i.programme == PROGRAMME]
    assert f"This paper reports {len(ltc)} metrics for {day:%B %Y}; {len(BUILT)} have " \
           "figures in the latest build." in text


def test_matrix_has_one_row_per_metric_with_the_published_value(paper):
    rows = re.findall(r'<tr class="metric-row" id="row-([A-Z0-9_]+)">(.*?)</tr>', paper["html"],
                      re.S)
    ltc = [i.id for i in catalogue().values() if i.programme == PROGRAMME]
    assert [r[0] for r in rows] == ltc
    published = pd.read_parquet(paper["run"] / "published_values.parquet")
    end = paper["ends"][-1]
    icb = published[(published.breakdown == "icb")
                     & (published.period_end.astype(str).str[:10] == end)].set_index(
        "indicator_id")
    for metric, cells in rows:
        value = _text(re.findall(r'<td class="number">(.*?)</td>', cells, re.S)[0])
        if metric not in BUILT:
            assert value == "not in this build"
        elif icb.loc[metric, "suppressed"]:
            assert value == "withheld (small numbers)"
        else:
            unit = catalogue()[metric].unit
            assert value.startswith(f"{icb.loc[metric, 'value']:,.1f}"), (metric, value)
            assert unit.split()[0] in value
        # the words beside each icon (the icon's own SVG title left out)
        variation, assurance = (_text(re.sub(r"<svg.*?</svg>", "", c, flags=re.S))
                                for c in re.findall(r"<td>(.*?)</td>", cells, re.S)[-2:])
        target = catalogue()[metric].target
        if metric not in BUILT:
            assert variation == "Not in this build"
            assert assurance == ("No target to assure" if target is None
                                 else "Not in this build")
        else:  # every icon is written in words too
            assert variation.startswith(("Common cause", "Special cause", "No signal"))
            assert assurance.endswith("the target" if target is not None else "to assure")


def test_exceptions_are_exactly_the_concern_and_not_assured_metrics(paper):
    expected = _expected_exceptions(paper["run"], paper["ends"][-1])
    assert expected, "the build should give at least one exception to test against"
    section = paper["html"].split('id="exceptions"')[1].split("</section>")[0]
    found = set(re.findall(r'id="exception-([A-Z0-9_]+)"', section))
    assert found == expected


def test_commentary_appears_in_the_html_and_the_pdf(paper):
    html = paper["html"]
    chart = html.split('id="metric-CVDP007HYP"')[1].split('<div class="metric"')[0]
    assert "Recall drive across six PCNs from July &lt;b&gt;bold&lt;/b&gt; &amp;" in chart
    assert "<b>bold</b>" not in html  # written as text, never as markup
    assert "lead.ltc" in chart
    other = html.split('id="metric-FLU_65"')[1].split('<div class="metric"')[0]
    assert "No commentary provided" in other and "An older month" not in html
    pdf_text = " ".join(" ".join(p.extract_text() for p in paper["pdf"].pages).split())
    assert "Recall drive across six PCNs from July <b>bold</b> &" in pdf_text
    assert "No commentary provided" in pdf_text


def test_every_built_metric_has_its_chart_with_a_text_alternative_and_table(paper):
    html = paper["html"]
    published = pd.read_parquet(paper["run"] / "published_values.parquet")
    for metric in BUILT:
        block = html.split(f'id="metric-{metric}"')[1].split('<div class="metric"')[0]
        assert "<svg" in block and "<figcaption>" in block
        assert re.search(r'role="img" aria-label="Statistical process control chart of ', block)
        series = published[(published.indicator_id == metric) & (published.breakdown == "icb")
                           ].sort_values("period_end")
        table = block.split('<table class="chart-table">')[1].split("</table>")[0]
        rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="number">([^<]*)</td>',
                          table)
        days = [dt.date.fromisoformat(str(d)[:10]) for d in series.period_end]
        assert [d for d, _ in rows] == [f"{d.day} {d:%B %Y}" for d in days]
        expected = ["withheld" if pd.isna(v) else f"{v:,.1f}" for v in series.value]
        assert [v for _, v in rows] == expected


def test_matrix_icons_are_drawn_and_written_in_words(paper):
    matrix = paper["html"].split('id="matrix"')[1].split("</section>")[0]
    rows = re.findall(r'<tr class="metric-row".*?</tr>', matrix, re.S)
    assert rows and all(row.count("<svg") == 2 for row in rows)
    # the icon is decoration beside its words: hidden from screen readers, the words are not
    assert all(row.count('<span class="icon" aria-hidden="true">') == 2 for row in rows)


def test_pdf_is_a4_with_more_than_one_page_a_running_header_and_page_numbers(paper):
    pages = paper["pdf"].pages
    assert len(pages) > 1
    for page in pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == \
            pytest.approx(A4, abs=0.5)
    last = pages[-1].extract_text()
    assert f"Page {len(pages)} of {len(pages)}" in last
    assert "OFFICIAL" in last and f"{PROGRAMMES[PROGRAMME]}: programme report" in last
    assert "Page 1 of" in pages[0].extract_text()


def _report(paper, *args: str):
    return CliRunner().invoke(main, ["report", *args, "--out", str(paper["folder"] / "bad"),
                                     "--results", str(paper["results"]), "--audit-log",
                                     str(paper["folder"] / "audit.jsonl")], env=paper["env"])


@pytest.mark.parametrize(("args", "option", "says"), [
    (["--programme", "nope", "--period", "2025-01"], "--programme",
     "no programme nope; give one of mhlda, children"),
    (["--programme", "ltc", "--period", "2025-13"], "--period", "is not a month"),
    (["--programme", "ltc", "--period", "March"], "--period", "is not a month written YYYY-MM"),
    (["--programme", "ltc", "--period", "2019-01"], "--period",
     "the latest build has no period 2019-01; its periods are"),
])
def test_bad_arguments_get_one_clear_line_naming_the_option(paper, args, option, says):
    done = _report(paper, *args)
    assert done.exit_code == 2, done.output
    output = " ".join(done.output.split())
    assert option in output and says in output
    assert "Traceback" not in done.output


def test_a_period_not_in_the_build_names_the_periods_it_has(paper):
    done = _report(paper, "--programme", "ltc", "--period", "2019-01")
    first, last = paper["ends"][0][:7], paper["ends"][-1][:7]
    assert f"its periods are {first} to {last} (12 months)" in " ".join(done.output.split())


def test_programme_and_system_go_one_at_a_time(paper):
    for args in (["--period", paper["month"]],
                 ["--programme", "ltc", "--system", "--period", paper["month"]]):
        done = _report(paper, *args)
        assert done.exit_code == 2 and "either --programme ID or --system" in done.output


def test_system_summary_covers_all_six_programmes(paper):
    out = paper["folder"] / "system"
    done = CliRunner().invoke(main, ["report", "--system", "--period", paper["month"],
                                     "--out", str(out), "--results", str(paper["results"]),
                                     "--audit-log", str(paper["folder"] / "audit.jsonl")],
                              env=paper["env"])
    assert done.exit_code == 0, done.output
    html = (out / f"system-{paper['month']}.html").read_text(encoding="utf-8")
    assert re.findall(r'id="row-([A-Z0-9_]+)"', html) == [
        i.id for key in PROGRAMMES for i in catalogue().values() if i.programme == key]
    for name in PROGRAMMES.values():
        assert f"<caption>{name}:" in html.replace("&amp;", "&")
    # the summary charts only the exceptions
    charted = set(re.findall(r'id="metric-([A-Z0-9_]+)"', html))
    assert charted == _expected_exceptions(paper["run"], paper["ends"][-1])
    assert PdfReader(out / f"system-{paper['month']}.pdf").pages


@pytest.fixture(scope="module")
def site(paper):
    accounts = Accounts(paper["url"])
    app = create_app(Service(paper["lake"], paper["results"], paper["folder"] / "audit.jsonl"),
                     accounts, SECRET)
    return TestClient(app, base_url="https://testserver")


def test_the_programme_page_download_is_the_same_paper(site, paper):
    month = paper["month"]
    pdf = site.get(f"/programmes/ltc/report.pdf?period={month}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="ltc-{month}.pdf"' in pdf.headers["content-disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Recall drive across six PCNs" in " ".join(text.split())
    html = site.get(f"/programmes/ltc/report.html?period={month}")
    assert html.status_code == 200
    # the same exceptions as the command's paper
    assert set(re.findall(r'id="exception-([A-Z0-9_]+)"', html.text)) == \
        set(re.findall(r'id="exception-([A-Z0-9_]+)"', paper["html"]))
    # nothing the policy would block: no style attributes, nothing loaded from anywhere
    assert not re.search(r"\sstyle=", html.text)
    assert not re.search(r"\s(src|href)=", html.text)
    policy = html.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "style-src 'sha256-" in policy
    assert "http" not in policy
    # without a period: the latest month
    latest = site.get("/programmes/ltc/report.html")
    assert latest.status_code == 200 and f"figures to {paper['ends'][-1]}" in latest.text


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/programmes/nope/report.pdf?period=2025-01", 404, "There is no programme called"),
    ("/programmes/ltc/report.pdf?period=2025-13", 400, "is not a month written YYYY-MM"),
    ("/programmes/ltc/report.pdf?period=%3Cscript%3E", 400, "&#39;&lt;script&gt;&#39;"),
    ("/programmes/ltc/report.html?period=2019-01", 404, "has no figures for 2019-01"),
])
def test_bad_addresses_get_a_designed_page(site, path, status, says):
    response = site.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert says in response.text and "nhsuk-header" in response.text
    assert "<script>" not in response.text.split("</header>")[1]
