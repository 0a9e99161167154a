"""The registered population over the five-year window: it follows BLMK's published GP lists
(NHS Digital, +1.75% a year, Luton fastest), people join and leave by age as they move, and
`icsight synth --check` measures every target at the start, middle and end of the window."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from icsight.cli import main
from icsight.model.registration import registered_and_alive_sql
from icsight.model.schema import PLACES
from icsight.synth.calibration import Target, check, measurement_dates
from icsight.synth.context import BLMK_POPULATION, date_of, day
from icsight.synth.people import _every_practice_looked_to, _leaving_days, _match_days
from icsight.synth.registered_lists import growth_per_year, published_list
from tests.generated import Generated
from tests.lakes import make_lake, patient

START, MIDDLE, END = dt.date(2021, 10, 1), dt.date(2024, 3, 31), dt.date(2026, 9, 30)


def _registered(lake, on: dt.date, place: str | None = None) -> int:
    where = f"AND l.place = '{place}'" if place else ""
    return int(lake.sql(
        f"SELECT count(*) FROM patients p JOIN lsoas l USING (lsoa_code) WHERE "
        f"{registered_and_alive_sql(f'DATE {on.isoformat()!r}', 'p.')} {where}").iloc[0, 0])


def test_the_published_line_passes_through_both_published_counts():
    assert published_list(dt.date(2021, 1, 1)) == pytest.approx(1_047_296, abs=1)
    assert published_list(dt.date(2026, 4, 1)) == pytest.approx(1_146_928, abs=1)
    assert math.exp(growth_per_year()) - 1 == pytest.approx(0.0175, abs=0.0005)


def test_the_default_population_is_the_published_list_on_the_reference_date():
    assert round(published_list(END)) == BLMK_POPULATION


def test_the_registered_list_grows_as_the_published_one_at_start_middle_and_end(lake):
    scale = lake.manifest["population_target"] / BLMK_POPULATION
    counts = {d: _registered(lake, d) for d in (START, MIDDLE, END)}
    for d, n in counts.items():
        assert n / (scale * published_list(d)) == pytest.approx(1.0, abs=0.01), (d, n)
    years = (END - START).days / 365.25
    per_year = (counts[END] / counts[START]) ** (1 / years) - 1
    assert per_year == pytest.approx(0.0175, abs=0.002)
    # the middle sits on the line, not above it (no bulge of people passing through)
    halfway = math.sqrt(counts[START] * counts[END])
    assert counts[MIDDLE] == pytest.approx(halfway, rel=0.005)


def test_luton_grows_fastest_and_central_bedfordshire_slowest(lake):
    growth = {place: _registered(lake, END, place) / _registered(lake, START, place) - 1
              for place in ("Bedford Borough", "Central Bedfordshire", "Luton",
                            "Milton Keynes")}
    assert max(growth, key=growth.get) == "Luton"
    assert min(growth, key=growth.get) == "Central Bedfordshire"
    assert growth["Luton"] > 1.4 * growth["Milton Keynes"]


def _rate_per_year(lake, event: str, ages: str) -> float:
    """Events a year over the window per person registered at the window's middle, at ages."""
    years = (END - START).days / 365.25
    events = lake.sql(f"SELECT count(*) FROM patients WHERE {event} AND "
                      f"date_diff('month', month_of_birth, registration_end) // 12 {ages}"
                      ).iloc[0, 0]
    at_risk = lake.sql(f"SELECT count(*) FROM patients WHERE "
                       f"{registered_and_alive_sql(repr(MIDDLE.isoformat()) + '::DATE')} AND "
                       f"date_diff('month', month_of_birth, DATE '{MIDDLE}') // 12 {ages}"
                       ).iloc[0, 0]
    return events / years / at_risk


_LEFT = ("registration_end IS NOT NULL AND date_of_death IS NULL")


def test_young_adults_leave_most_and_older_people_least(lake):
    young = _rate_per_year(lake, _LEFT, "BETWEEN 18 AND 39")
    middle = _rate_per_year(lake, _LEFT, "BETWEEN 40 AND 64")
    old = _rate_per_year(lake, _LEFT, ">= 65")
    assert young > 2 * middle > 2 * old * 1.2
    assert young == pytest.approx(0.11, abs=0.03)


def test_joiners_and_leavers_are_in_balance_with_the_published_growth(lake):
    years = (END - START).days / 365.25
    mean_list = (_registered(lake, START) + _registered(lake, END)) / 2
    joined = lake.sql(f"SELECT count(*) FROM patients WHERE registration_start > DATE '{START}'"
                      f" AND registration_start <= DATE '{END}'").iloc[0, 0]
    left = lake.sql(f"SELECT count(*) FROM patients WHERE {_LEFT}").iloc[0, 0]
    died = lake.sql("SELECT count(*) FROM patients WHERE date_of_death IS NOT NULL").iloc[0, 0]
    joining, leaving, dying = (x / years / mean_list for x in (joined, left, died))
    assert 0.08 <= joining <= 0.10  # births (~1.1%) and moves in: the flow budget [E]
    assert 0.055 <= leaving <= 0.075
    assert joining - leaving - dying == pytest.approx(0.0175, abs=0.003)


def _over_window(g, target_id: str) -> list[float]:
    """A population target measured at the start, middle and end of a generated population's
    window, as the check measures a lake."""
    t = next(t for t in _population_targets() if t.id == target_id)
    start = date_of(g.ctx.window_start)
    return [g.con.sql(t.sql.format(ref=f"DATE '{d}'", start=f"DATE '{start}'",
                                   scale=g.ctx.scale)).fetchone()[0]
            for d in measurement_dates(t, start, g.ref)]


@pytest.mark.parametrize("seed", [1, 2])
def test_births_keep_step_with_the_list_and_net_moves_hold_over_the_window(seed):
    """Babies registered at birth stay ~1.1 per 100 registered a year (ONS births for the four
    authorities, ~12,000 a year) at the start, middle and end of the window. Counting every
    child under five at the end as born here, and the children who moved away as born here
    too, made births fall from ~1.5 to ~1.1 per 100 (-29%), and the moves in counted without
    them rise from 0.9 to 1.4."""
    g = Generated(100_000, seed=seed, modules=())
    births = _over_window(g, "births_per_100")
    assert all(0.9 <= b <= 1.3 for b in births), births
    assert max(births) - min(births) < 0.15, births  # ~0.05 is the noise of one year's count
    moves = _over_window(g, "net_moves_per_100")
    assert all(0.9 <= m <= 1.9 for m in moves), moves
    assert abs(moves[-1] - moves[0]) < 0.25, moves
    leavers = _over_window(g, "leavers_per_100")
    assert abs(leavers[-1] - leavers[0]) < 0.25, leavers


def test_leavers_are_spread_evenly_over_the_window_as_their_place_grows():
    """Each place's leavers fall in any 12 months of the window in proportion to its list then
    (to within two people), not as many independent draws: 6,000 leavers of Luton (growing
    ~2.6% a year) in five years from 1 October 2021, so each year's expected count is 6,000
    times that year's share of exp(growth x (years since the start)), worked out below from
    the published growth; drawn one by one they would miss it by ~35 (their square root)."""
    ctx = SimpleNamespace(window_start=day(START), reference_date=day(END))
    luton = PLACES.index("Luton")
    got = _leaving_days(np.random.default_rng(7), ctx, np.full(6_000, luton))
    assert got.min() >= ctx.window_start and got.max() <= ctx.reference_date
    g = growth_per_year("Luton")
    years = (ctx.reference_date - ctx.window_start + 1) / 365.25
    for first in range(ctx.window_start, ctx.reference_date - 364, 91):
        a, b = (first - ctx.window_start) / 365.25, (first + 365 - ctx.window_start) / 365.25
        expected = 6_000 * (math.exp(g * b) - math.exp(g * a)) / (math.exp(g * years) - 1)
        n = int(((got >= first) & (got < first + 365)).sum())
        assert abs(n - expected) <= 2, (date_of(first), n, expected)
    # and in random order: the leavers are not handed their days in order of who they are
    assert not (np.diff(got) >= 0).all()


def test_children_who_moved_in_join_after_birth_and_the_list_keeps_its_days():
    """Movers-in share out the days that keep the list on the published line; a child born in
    the window gets none before it was born (plus the margin that keeps it from reading as a
    birth)."""
    rng = np.random.default_rng(0)
    days = np.sort(rng.integers(0, 1_000, 400))
    earliest = np.zeros(400, np.int64)
    earliest[:60] = rng.integers(0, 900, 60)
    got = _match_days(rng, days, earliest)
    assert (got >= earliest).all()
    assert np.array_equal(np.sort(got), days)
    # the children are not all given the latest days
    assert np.mean(got[:60] - earliest[:60]) > 50


def test_every_practice_is_looked_to_by_some_lsoa_of_its_place():
    """A practice no LSOA chose takes one LSOA's third place, in its own place; nothing else
    moves."""
    lsoa_place = np.array([0, 0, 0, 1])
    prac_place = np.array([0, 0, 0, 0, 1])
    choices = np.array([[0, 1, 2], [0, 1, 2], [1, 0, 2], [4, 4, 4]], np.int16)
    before = choices.copy()
    _every_practice_looked_to(choices, lsoa_place, prac_place)
    assert set(choices.ravel()) == {0, 1, 2, 3, 4}
    changed = np.argwhere(choices != before)
    assert len(changed) == 1 and changed[0][1] == 2  # one third place
    assert lsoa_place[changed[0][0]] == prac_place[3]


# --- the check machinery, on a hand-made lake ----------------------------------------------


def test_measurement_dates_start_when_the_look_back_fits():
    ref, start = END, START
    twelve = Target("x", "x", 0, 1, "n", "s", "SELECT {ref}")
    assert measurement_dates(twelve, start, ref) == (
        dt.date(2022, 9, 30), dt.date(2024, 9, 29), ref)
    stock = Target("x", "x", 0, 1, "n", "s", "SELECT {ref}", lookback_months=0)
    assert measurement_dates(stock, start, ref) == (start, dt.date(2024, 3, 31), ref)
    assert measurement_dates(Target("x", "x", 0, 1, "n", "s", "SELECT {ref}", once=True),
                             start, ref) == (ref,)
    assert measurement_dates(Target("x", "x", 0, 1, "n", "s", "SELECT 1"), start, ref) == (ref,)
    assert measurement_dates(Target("x", "x", 0, 1, "n", "s", "SELECT {ref}",
                                    lookback_months=66), start, ref) == (ref,)


@pytest.fixture()
def tiny_lake(tmp_path):
    """Four people: two registered throughout, one joining in 2022, one leaving in 2023."""
    from icsight.engine import open_lake

    people = [patient(1), patient(2),
              patient(3, registration_start="2022-06-01"),
              patient(4, registration_end="2023-01-15")]
    folder = make_lake(tmp_path / "lake", people, [], reference_date="2025-03-31")
    return open_lake(folder)


_COUNT = f"SELECT count(*) FROM patients WHERE {registered_and_alive_sql('{ref}')}"
_JOINED = ("SELECT count(*) FROM patients WHERE registration_start > {ref} - INTERVAL 12 MONTH "
           "AND registration_start <= {ref}")


def test_check_measures_at_start_middle_and_end_and_reports_drift(tiny_lake):
    # window 1 April 2020 to 31 March 2025: a list size is measured from the window's start
    stock = Target("list", "list", 3.0, 0.5, "people", "test", _COUNT, lookback_months=0)
    row, = check(tiny_lake, [stock])
    assert row.over_window == ((dt.date(2020, 4, 1), 3.0), (dt.date(2022, 9, 30), 4.0),
                               (dt.date(2025, 3, 31), 3.0))
    assert row.measured == 3.0 and row.drift == 0
    assert not row.ok  # four on the list in the middle: outside 3 +/- 0.5
    wider = Target("list", "list", 3.0, 1.0, "people", "test", _COUNT, lookback_months=0)
    assert check(tiny_lake, [wider])[0].ok


def test_a_twelve_month_figure_starts_a_year_in_and_a_modelled_trend_is_judged_at_the_end(
        tiny_lake):
    joined = Target("joined", "joined", 0.0, 0.5, "people", "test", _JOINED)
    row, = check(tiny_lake, [joined])
    # the one joiner (June 2022) is in the year to 31 March 2023 only
    assert row.over_window == ((dt.date(2021, 3, 31), 0.0), (dt.date(2023, 3, 31), 1.0),
                               (dt.date(2025, 3, 31), 0.0))
    assert not row.ok
    trend = Target("joined", "joined", 0.0, 0.5, "people", "test", _JOINED,
                   trend="a published trend")
    assert check(tiny_lake, [trend])[0].ok
    later = Target("joined", "joined", 1.0, 0.5, "people", "test", _JOINED, trend="a trend")
    assert not check(tiny_lake, [later])[0].ok  # the reference date is still held to it
    once = Target("joined", "joined", 0.0, 0.5, "people", "test", _JOINED, once=True)
    row, = check(tiny_lake, [once])
    assert row.over_window == () and row.measured == 0 and row.ok and math.isnan(row.drift)


def test_population_targets_measure_the_lake_at_its_scale(lake):
    rows = {r.target.id: r for r in check(lake, [t for t in _population_targets()])}
    assert rows["registered_list"].ok, rows["registered_list"].over_window
    assert rows["registered_list_growth"].ok, rows["registered_list_growth"].measured
    assert rows["registered_list_growth_luton"].ok
    assert rows["joiners_per_100"].ok and rows["leavers_per_100"].ok


def _population_targets():
    from icsight.synth.people import TARGETS

    return TARGETS


def test_check_summary_prints_a_count_and_no_table(lake_dir):
    result = CliRunner().invoke(main, ["synth", "--check", str(lake_dir), "--summary"])
    assert result.exit_code in (0, 1), result.output
    assert "┏" not in result.output
    assert ("within tolerance at the start, middle and end" in result.output
            or "outside tolerance" in result.output)


def test_the_calibration_page_shows_each_target_at_start_middle_and_end(tiny_lake):
    from icsight.synth.calibration import markdown

    targets = [Target("list", "People on the list", 3.0, 0.5, "people", "a source", _COUNT,
                      lookback_months=0),
               Target("joined", "Joined", 0.0, 0.5, "people", "b source", _JOINED, once=True)]
    page = markdown(check(tiny_lake, targets), tiny_lake)
    rows = {line.split("`")[1]: line for line in page.splitlines() if line.startswith("| `")}
    assert set(rows) == {"list", "joined"}
    cells = [c.strip() for c in rows["list"].split("|")[1:-1]]
    assert cells[1:7] == ["3 ± 0.5 people", "3.00 (2020-04-01)", "4.00 (2022-09-30)",
                          "3.00 (2025-03-31)", "+0.00", "**no**"]
    assert cells[7] == "a source"
    assert [c.strip() for c in rows["joined"].split("|")[1:-1]][2:6] == ["", "", "0.00", "once"]
    assert "1 of 2 within tolerance" in page and "outside: list" in page
