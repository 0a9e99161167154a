"""The indicator page's charts: each a figure with a text alternative, an SVG drawn on the
server and a data table in the page (so it works without JavaScript); the public's charts draw
only published figures, and a withheld value is a table row saying so, never a point."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from icsight.api.app import create_app
from icsight.appdb import Accounts
from icsight.charts import WITHHELD
from icsight.cli import main
from icsight.results import latest_run
from icsight.services import Service
from tests.accounts import PASSWORD, SECRET
from tests.test_web_pages import Page, _assert_designed_page

#: A proportion with practice rows and a target, and a rate with few events (so that some
#: practice and decile figures are withheld from the public).
BUILT = ("CVDP007HYP", "VIRTUAL_WARD")


@pytest.fixture(scope="module")
def site(lake_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-charts")
    results = folder / "results"
    done = CliRunner().invoke(main, ["build", "--lake", str(lake_dir), "--months", "4",
                                     "--out", str(results), "--id", ",".join(BUILT)])
    assert done.exit_code == 0, done.output
    accounts = Accounts(f"sqlite:///{folder / 'icsight.db'}")
    accounts.add("ana", PASSWORD, "analyst")
    app = create_app(Service(lake_dir, results, folder / "audit.jsonl"), accounts, SECRET)
    run = latest_run(results)
    published = pd.read_parquet(run / "published_values.parquet")
    published["period_end"] = published.period_end.astype(str).str[:10]
    exact = pd.read_parquet(run / "indicator_values.parquet")
    exact["period_end"] = exact.period_end.astype(str).str[:10]
    return {"app": app, "public": TestClient(app, base_url="https://testserver"),
            "published": published, "exact": exact}


def _figures(text: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in
            re.finditer(r'<figure class="icsight-chart" id="([^"]+)".*?</figure>', text, re.S)}


def _spec(figure: str) -> dict:
    raw = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', figure, re.S)
    return json.loads(raw.group(1))


def _table(figure: str) -> dict:
    return Page(figure).tables[0]


def test_the_indicator_page_has_each_chart_as_a_figure_with_words_svg_and_a_table(site):
    response = site["public"].get("/indicators/CVDP007HYP")
    assert response.status_code == 200
    _assert_designed_page(response)
    figures = _figures(response.text)
    assert set(figures) == {"chart-spc", "chart-funnel", "chart-deprivation"}
    for figure in figures.values():
        caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", figure, re.S).group(1)
        assert len(caption) > 40
        drawing = re.search(r'<div class="icsight-chart__drawing"[^>]*>(<svg.*?</svg>)</div>',
                            figure, re.S).group(1)
        assert 'aria-hidden="true"' in drawing.split(">", 1)[0]  # the caption speaks for it
        assert "style=" not in drawing and not re.search(r'(href|src)="https?:', drawing)
        table = _table(figure)
        assert table["caption"].startswith("Data for the chart")
        assert len(table["rows"]) > 1
    spc = figures["chart-spc"]
    assert "Latest value" in spc and re.search(r'role="img" aria-label="[^"]+"', spc)


def test_the_spc_table_equals_the_plotted_points_and_the_published_series(site):
    figure = _figures(site["public"].get("/indicators/CVDP007HYP").text)["chart-spc"]
    rows = _table(figure)["rows"][1:]
    spec = _spec(figure)
    points = next(spec["datasets"][x["data"]["name"] if "data" in x else spec["data"]["name"]]
                  for x in spec["layer"] if x["mark"]["type"] == "point")
    published = site["published"]
    icb = published[(published.indicator_id == "CVDP007HYP") & (published.breakdown == "icb")
                    ].sort_values("period_end")
    assert [p["period_end"] for p in points] == list(icb.period_end[icb.value.notna()])
    assert [p["value"] for p in points] == pytest.approx(list(icb.value.dropna()))
    shown = [row for row in rows if row[1] != WITHHELD]
    assert [row[1] for row in shown] == [f"{p['value']:,.1f}" for p in points]


def _withheld_practices(site, indicator_id: str) -> pd.DataFrame:
    published = site["published"]
    rows = published[(published.indicator_id == indicator_id)
                     & (published.breakdown == "practice")]
    rows = rows[rows.period_end == rows.period_end.max()]
    return rows[rows.suppressed.astype(bool)]


def test_withheld_practices_are_never_plotted_for_the_public_and_are_for_an_analyst(site):
    indicator_id = next(i for i in BUILT if not _withheld_practices(site, i).empty)
    withheld = _withheld_practices(site, indicator_id)
    figure = _figures(site["public"].get(f"/indicators/{indicator_id}").text)["chart-funnel"]
    spec = _spec(figure)
    plotted = {p["area"] for p in _data(spec, "point")}
    assert plotted and not plotted & set(withheld.group)
    table = {row[0]: row for row in _table(figure)["rows"][1:]}
    for row in withheld.itertuples():
        assert table[row.group][1:4] == [WITHHELD] * 3
    # nor in the drawing (Vega labels each point with its tooltip: area, value, position)
    drawing = figure.split("<svg", 1)[1].split("</svg>")[0]
    assert not any(code in drawing for code in withheld.group)
    # an analyst sees every practice
    client = TestClient(site["app"], base_url="https://testserver")
    token = client.get("/api/v1/session").json()["csrf_token"]
    client.post("/api/v1/login", json={"username": "ana", "password": PASSWORD},
                headers={"X-CSRF-Token": token})
    analyst = _spec(_figures(client.get(f"/indicators/{indicator_id}").text)["chart-funnel"])
    assert set(withheld.group) <= {p["area"] for p in _data(analyst, "point")}


def _data(spec: dict, mark: str) -> list[dict]:
    layer = next(x for x in spec["layer"] if x["mark"]["type"] == mark)
    return spec["datasets"][(layer.get("data") or spec["data"])["name"]]


def test_the_deprivation_gradient_plots_the_published_deciles(site):
    figure = _figures(site["public"].get("/indicators/CVDP007HYP").text)["chart-deprivation"]
    bars = _data(_spec(figure), "bar")
    published = site["published"]
    deciles = published[(published.indicator_id == "CVDP007HYP")
                         & (published.breakdown == "imd_decile")]
    deciles = deciles[deciles.period_end == deciles.period_end.max()]
    shown = deciles[deciles.value.notna()].assign(d=lambda f: f.group.astype(int))
    assert sorted(b["decile"] for b in bars) == sorted(shown.d)
    by_decile = {b["decile"]: b["value"] for b in bars}
    for row in shown.itertuples():
        assert by_decile[row.d] == pytest.approx(row.value)
    assert len(_table(figure)["rows"]) == 1 + len(deciles)


def test_an_indicator_without_a_build_has_no_charts(site):
    response = site["public"].get("/indicators/EMERG_ADM_RATE")
    assert response.status_code == 200 and "icsight-chart" not in response.text
