"""A programme's page over a hand-made run: a section per metric (its SPC chart, variation and
assurance in icons and words, target, latest commentary), the funnel of practices, the map of
the headline metric by place, and the links; the public reads only published figures (a
place withheld for the public is not on its page, and is on an analyst's); commentary saved
after the page was kept is shown at once; only analysts and admins are offered to write it."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts, save_commentary
from icsight.charts import WITHHELD as CHART_WITHHELD
from icsight.indicators.catalogue import catalogue
from icsight.services import Service
from icsight.web.views.pages import WITHHELD
from tests.accounts import PASSWORD, SECRET
from tests.sessions import signed_in_client
from tests.test_overview_changes import MONTHS, _row, _run
from tests.test_web_inequalities import _cells

METRIC = "CVDP007HYP"  # the first Long-term conditions metric: the programme's headline
PRACTICES = ["E81001", "E81002", "E81003", "E81004", "E81005"]
#: Luton's exact figure, 3 of 8: withheld from the public (a count under the threshold)
LUTON = "37.5%"


def _spc_rows() -> list[dict]:
    return [{"indicator_id": METRIC, "breakdown": "icb", "group": "BLMK", "period_end": month,
             "point_type": "common_cause", "value": 60.0, "mean": 60.0,
             "lower_process_limit": 50.0, "upper_process_limit": 70.0,
             "variation_icon": "common_cause", "assurance_icon": "fail",
             "short_series_warning": False} for month in MONTHS]


@pytest.fixture
def site(tmp_path):
    exact = [_row("icb", "BLMK", 58.0 + i, 580 + 10 * i, 1000, period_end=month)
             for i, month in enumerate(MONTHS)]
    exact += [_row("place", "Bedford Borough", 61.0, 610, 1000),
              _row("place", "Luton", 37.5, 3, 8),
              _row("place", "Milton Keynes", 66.0, 660, 1000),
              _row("place", "Central Bedfordshire", 55.0, 550, 1000)]
    # five practices, the last with a count under the threshold
    exact += [_row("practice", code, 100 * n / 200, n, 200)
              for code, n in zip(PRACTICES, [120, 130, 110, 125, 4], strict=True)]
    published = pd.DataFrame(exact)
    # as the build publishes them: a count of 3 or 4 withheld (value and counts)
    small = published.numerator < 5
    published.loc[small, ["value", "numerator", "denominator"]] = math.nan
    published.loc[small, "suppressed"] = True
    results = _run(tmp_path / "r", pd.DataFrame(exact), published,
                   spc=pd.DataFrame(_spc_rows()))
    accounts = Accounts(f"sqlite:///{tmp_path / 'app.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    accounts.add("adm", PASSWORD, "admin")
    accounts.add("pub", PASSWORD, "public")
    app = create_app(Service(tmp_path, results, tmp_path / "audit.jsonl"), accounts, SECRET)
    return {"app": app, "accounts": accounts}


def _public(site) -> TestClient:
    return TestClient(site["app"], base_url="https://testserver")


def _section(page: str, metric: str = METRIC) -> str:
    return page.split(f'<section class="icsight-metric" id="metric-{metric}"')[1] \
        .split("</section>")[0]


def _figure(html: str, figure_id: str) -> str:
    return html.split(f'<figure class="icsight-chart" id="{figure_id}"')[1] \
        .split("</figure>")[0]


def test_a_section_per_metric_with_a_contents_list(site):
    page = _public(site).get("/programmes/ltc")
    assert page.status_code == 200
    metrics = [ind.id for ind in catalogue().values() if ind.programme == "ltc"]
    contents = page.text.split('aria-label="Contents"')[1].split("</nav>")[0]
    assert re.findall(r'href="#metric-([A-Z0-9_]+)"', contents) == metrics
    sections = re.findall(r'<section class="icsight-metric" id="metric-([A-Z0-9_]+)"', page.text)
    assert sections == metrics
    section = _section(page.text)
    title = catalogue()[METRIC].title
    assert re.search(rf'<h2 id="heading-{METRIC}"><a href="/indicators/{METRIC}">'
                     rf'{re.escape(title)}</a></h2>', section)
    assert "80% by" in section  # the target
    # a metric the run does not hold says so, with no chart
    assert "this build did not compute this metric" in _section(page.text, "CVDP002HYP")


def test_the_spc_chart_is_the_indicator_pages_with_the_signal_in_icons_and_words(site):
    section = _section(_public(site).get("/programmes/ltc").text)
    spc = _figure(section, f"chart-spc-{METRIC.lower()}")
    assert "Statistical process control chart" in spc and "<svg" in spc
    # the figure's own icons are left out: the section shows the services' beside the words
    assert "icsight-chart__icons" not in spc
    variation = re.search(r"Variation</dt>\s*<dd[^>]*>(.*?)</dd>", section, re.S).group(1)
    assurance = re.search(r"Assurance</dt>\s*<dd[^>]*>(.*?)</dd>", section, re.S).group(1)
    assert "Common cause variation" in variation and "<svg" in variation
    assert "Consistently misses the target" in assurance and "<svg" in assurance
    # the icons are decoration beside the words, not a second label
    assert 'aria-hidden="true"' in variation and "aria-label" not in variation
    # the drawing is not redrawn here (no spec on the page): the indicator page does that
    assert 'type="application/json"' not in section


def test_a_place_withheld_for_the_public_is_not_on_the_public_page_and_is_for_an_analyst(site):
    public = _public(site).get("/programmes/ltc").text
    assert LUTON not in public and "37.5" not in public
    summary = _cells(public, "latest values by place")
    assert summary[0][1:6] == ["BLMK", "Bedford Borough", "Central Bedfordshire", "Luton",
                               "Milton Keynes"]
    row = next(r for r in summary if r[0] == catalogue()[METRIC].title)
    assert row[1:6] == ["60.0%", "61.0%", "55.0%", WITHHELD, "66.0%"]
    # the map: the headline metric by place, Luton withheld (grey), never a shade
    assert "Map: " + catalogue()[METRIC].title in public
    assert _cells(_figure(public, "chart-map"), "Data for the chart")[1:] == [
        ["Bedford Borough", "61.0%"], ["Central Bedfordshire", "55.0%"], ["Luton", "withheld"],
        ["Milton Keynes", "66.0%"]]
    assert "Withheld to protect privacy (grey): Luton." in public
    analyst = signed_in_client(site["app"], "ana").get("/programmes/ltc").text
    row = next(r for r in _cells(analyst, "latest values by place")
               if r[0] == catalogue()[METRIC].title)
    assert row[4] == LUTON
    assert ["Luton", LUTON] in _cells(_figure(analyst, "chart-map"), "Data for the chart")


def test_the_funnel_plots_only_published_practices_inside_a_details(site):
    public = _section(_public(site).get("/programmes/ltc").text)
    # the funnel is the figure inside the details element whose summary names it
    summary = public.index("Practices compared: funnel plot<span")
    outer = public[public.rindex("<details", 0, summary):]
    assert outer.split("</summary>")[0].count("<summary") == 1
    funnel = _figure(outer, f"chart-funnel-{METRIC.lower()}")
    rows = {r[0][-7:-1]: r for r in _cells(funnel, "Data for the chart")[1:]}
    assert sorted(rows) == PRACTICES
    assert rows["E81005"][1] == CHART_WITHHELD  # in the table as withheld, never a point
    assert "4 of 200" not in funnel and "2.0%" not in funnel
    analyst = _section(signed_in_client(site["app"], "ana").get("/programmes/ltc").text)
    rows = {r[0][-7:-1]: r for r in _cells(_figure(analyst, f"chart-funnel-{METRIC.lower()}"),
                                           "Data for the chart")[1:]}
    assert rows["E81005"][1] == "2.0%"  # 4 of 200


def test_commentary_saved_after_the_page_was_kept_is_shown_at_once(site):
    client = _public(site)
    before = client.get("/programmes/ltc").text
    assert "No commentary yet." in _section(before)
    again = client.get("/programmes/ltc").text
    assert _section(again) == _section(before)  # served as kept
    save_commentary(METRIC, "2026-09", "ana", "Up two points.\nThe recall list helped.",
                    site["accounts"].database)
    after = _section(client.get("/programmes/ltc").text)
    assert "<p>Up two points.</p><p>The recall list helped.</p>" in after
    assert "For September 2026: written by ana on " in after and "(version 1)" in after
    assert (f'href="/programmes/ltc/commentary/{METRIC}?period=2026-09">History of this '
            "commentary") in after
    # a later month's commentary is the newest, and an earlier one is kept behind it
    save_commentary(METRIC, "2026-08", "adm", "August's story.", site["accounts"].database)
    assert "Up two points." in _section(client.get("/programmes/ltc").text)


def test_only_analysts_and_admins_are_offered_to_write_commentary(site):
    link = (f'href="/programmes/ltc/commentary?period=2026-09#metric-{METRIC}">Add or change '
            "commentary")
    assert link not in _public(site).get("/programmes/ltc").text
    assert link not in signed_in_client(site["app"], "pub").get("/programmes/ltc").text
    for user in ("ana", "adm"):
        assert link in _section(signed_in_client(site["app"], user).get("/programmes/ltc").text)


def test_the_page_links_its_inequalities_board_papers_commentary_and_places(site):
    page = _public(site).get("/programmes/ltc").text
    for href in ("/programmes/ltc/inequalities", "/programmes/ltc/report.pdf",
                 "/programmes/ltc/report.html", "/programmes/ltc/commentary",
                 "/places/luton", "/places/central-bedfordshire"):
        assert f'href="{href}"' in page, href
    assert "Board paper for September 2026 (PDF)" in page
