"""A board paper's content, worked out from the figures: what `icsight report` and the web
download render as HTML and PDF (`icsight.reports.render`).

The shape follows the NHS board papers an integrated care board publishes (a cover sheet with
the meeting, date, author, purpose and an executive summary; then the paper), and the
integrated performance report pattern of NHS England's "Making Data Count" guidance: a summary
matrix of every metric's variation and assurance icons, the exceptions that need the group's
attention, and each metric's SPC chart with its commentary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from icsight.governance.access import ANONYMOUS, Principal
from icsight.indicators.catalogue import catalogue
from icsight.indicators.definition import PROGRAMMES, Indicator
from icsight.services import Service
from icsight.services.reports import MetricFigures, commentary_for_month

__all__ = ["ASSURANCE", "AUTHOR", "EXCEPTION_ASSURANCE", "EXCEPTION_VARIATION", "MEETING",
           "NO_COMMENTARY", "NO_PLANNING", "VARIATION", "BoardPaper", "Metric", "Section",
           "build_paper", "is_exception", "planning_section"]

MEETING = "Health and Care Professional Leadership Group"
AUTHOR = "Head of Population Health Intelligence, BLMK Integrated Care Board"
PURPOSE = "For assurance"
NO_COMMENTARY = "No commentary provided"
WITHHELD = "withheld (small numbers)"

#: Making Data Count's variation icons in words (written beside each icon).
VARIATION = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause improvement (higher)",
    "improvement_low": "Special cause improvement (lower)",
    "concern_high": "Special cause concern (higher)",
    "concern_low": "Special cause concern (lower)",
    "neutral_high": "Special cause variation (higher)",
    "neutral_low": "Special cause variation (lower)",
}
#: Making Data Count's assurance icons in words.
ASSURANCE = {
    "pass": "Consistently meets the target",
    "fail": "Consistently misses the target",
    "inconsistent": "May or may not meet the target",
}
#: The signals that make a metric an exception: special cause of concern, or a target that
#: is not assured (it may or may not be met) or consistently missed.
EXCEPTION_VARIATION = frozenset({"concern_high", "concern_low"})
EXCEPTION_ASSURANCE = frozenset({"fail", "inconsistent"})


def is_exception(variation_icon: str | None, assurance_icon: str | None) -> bool:
    """Whether a metric with these icons needs the group's attention."""
    return variation_icon in EXCEPTION_VARIATION or assurance_icon in EXCEPTION_ASSURANCE


@dataclass
class Metric:
    """One metric in a paper: its definition, its figures and its lead's commentary."""

    indicator: Indicator
    figures: MetricFigures
    commentary: dict | None

    @property
    def id(self) -> str:
        return self.indicator.id

    @property
    def current(self) -> dict | None:
        """The ICB row in the paper's period (None: not in the build for it)."""
        return self.figures.series[-1] if self.figures.series else None

    @property
    def value_text(self) -> str:
        """The period's value with its unit, or why there is none."""
        if not self.figures.in_build:
            return "not in this build"
        row = self.current
        if row is None or row.get("value") is None:
            return WITHHELD if row and row.get("suppressed") else "no value"
        return format_value(row["value"], self.indicator.unit)

    @property
    def target_text(self) -> str:
        ind = self.indicator
        if ind.target is None:
            return "no target set"
        return f"{format_value(ind.target, ind.unit)} by {ind.target_date or 'no date set'}"

    @property
    def variation(self) -> str:
        """The variation icon in words."""
        icon = self.figures.variation_icon
        if not self.figures.in_build:
            return "Not in this build"
        if icon is None:
            return "No signal (no chart, or the figure is withheld)"
        return VARIATION.get(icon, str(icon))

    @property
    def assurance(self) -> str:
        """The assurance icon in words."""
        icon = self.figures.assurance_icon
        if icon is None:
            if self.indicator.target is None:
                return "No target to assure"
            return "Not assessed" if self.figures.in_build else "Not in this build"
        return ASSURANCE.get(icon, str(icon))

    @property
    def exception(self) -> bool:
        return is_exception(self.figures.variation_icon, self.figures.assurance_icon)

    @property
    def reasons(self) -> list[str]:
        """Why this metric is an exception, in words."""
        out = []
        if self.figures.variation_icon in EXCEPTION_VARIATION:
            out.append(self.variation)
        if self.figures.assurance_icon in EXCEPTION_ASSURANCE:
            out.append(self.assurance)
        return out

    @property
    def commentary_text(self) -> str:
        return self.commentary["text"] if self.commentary else NO_COMMENTARY


@dataclass
class Section:
    """One programme's part of a paper."""

    programme_id: str
    name: str
    metrics: list[Metric]
    #: whether each metric gets its chart page (the system summary keeps them for exceptions)
    every_chart: bool = True
    #: the planned-care programme's waiting lists (`waiting_list_section`); None elsewhere
    waiting_lists: dict | None = None

    @property
    def exceptions(self) -> list[Metric]:
        return [m for m in self.metrics if m.exception]

    @property
    def charted(self) -> list[Metric]:
        return [m for m in self.metrics if m.figures.in_build
                and (self.every_chart or m.exception)]

    @property
    def inequalities(self) -> list[Metric]:
        return [m for m in self.metrics if m.figures.inequality
                and any(m.figures.inequality.get(k) is not None
                        for k in ("gap_q5_minus_q1", "sii"))]


@dataclass
class BoardPaper:
    """A whole board paper: the cover's facts and the programmes' sections."""

    title: str
    month: str
    period_end: str
    sections: list[Section]
    published: bool = True
    date: dt.date = field(default_factory=dt.date.today)
    meeting: str = MEETING
    author: str = AUTHOR
    purpose: str = PURPOSE
    run_id: str | None = None
    #: the system paper's planning to 2043 (`planning_section`); None in a programme's paper
    planning: dict | None = None

    @property
    def metrics(self) -> list[Metric]:
        return [m for s in self.sections for m in s.metrics]

    @property
    def exceptions(self) -> list[Metric]:
        return [m for m in self.metrics if m.exception]

    @property
    def inequalities(self) -> list[Metric]:
        return [m for s in self.sections for m in s.inequalities]

    @property
    def period_text(self) -> str:
        day = dt.date.fromisoformat(self.month + "-01")
        return f"{day:%B %Y}"

    @property
    def summary(self) -> list[str]:
        """The executive summary: a few sentences made from the figures."""
        return executive_summary(self)


def format_value(value: float, unit: str) -> str:
    """A value with its unit: 61.4% and 98.0% of expected, but 12.3 per 1,000."""
    return f"{value:,.1f}{unit if unit.startswith('%') else ' ' + unit}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def executive_summary(paper: BoardPaper) -> list[str]:
    """Sentences that say what the figures say: how many metrics have figures, their
    variation and assurance, the exceptions by name, and the widest deprivation gap."""
    metrics = paper.metrics
    built = [m for m in metrics if m.figures.in_build]
    lines = [f"This paper reports {_plural(len(metrics), 'metric')} for {paper.period_text}; "
             f"{len(built)} have figures in the latest build."]
    signals = [m.figures.variation_icon for m in built if m.figures.variation_icon]
    if signals:
        improving = sum(s.startswith("improvement") for s in signals)
        concern = sum(s.startswith("concern") for s in signals)
        common = sum(s == "common_cause" for s in signals)
        neutral = len(signals) - improving - concern - common
        lines.append(f"Of the {_plural(len(signals), 'metric')} with an SPC signal, "
                     f"{improving} show special cause improvement, {concern} special cause "
                     f"concern, {common} common cause variation"
                     + (f" and {neutral} special cause variation with no preferred direction"
                        if neutral else "") + ".")
    assured = [m.figures.assurance_icon for m in built if m.figures.assurance_icon]
    if assured:
        lines.append(f"Of the {_plural(len(assured), 'metric')} assessed against a target, "
                     f"{assured.count('pass')} consistently meet it, {assured.count('fail')} "
                     f"consistently miss it and {assured.count('inconsistent')} may or may not "
                     "meet it.")
    exceptions = paper.exceptions
    if exceptions:
        names = "; ".join(f"{m.indicator.title} ({m.value_text})" for m in exceptions[:6])
        more = f" and {len(exceptions) - 6} more" if len(exceptions) > 6 else ""
        lines.append(f"{_plural(len(exceptions), 'metric needs', 'metrics need')} the group's "
                     f"attention: {names}{more}.")
    else:
        lines.append("No metric shows special cause concern or a target that is not assured.")
    gaps = [(abs(m.figures.inequality["gap_q5_minus_q1"]), m) for m in built
            if m.figures.inequality and m.figures.inequality.get("gap_q5_minus_q1") is not None
            and m.indicator.unit.startswith("%")]
    if gaps:
        _, widest = max(gaps, key=lambda g: g[0])
        gap = widest.figures.inequality["gap_q5_minus_q1"]
        lines.append(f"The widest gap between the least and most deprived fifths of "
                     f"neighbourhoods is in {widest.indicator.title}: "
                     f"{gap:+.1f} percentage points (least minus most deprived).")
    return lines


#: The programme whose section holds the waiting lists.
PLANNED_CARE = "planned"


def _count_text(value: float | None) -> str:
    return WITHHELD if value is None else f"{value:,.0f}"


def _percent_text(value: float | None) -> str:
    return WITHHELD if value is None else f"{value:.1f}%"


def waiting_list_section(services: Service, who: Principal, published: bool) -> dict | None:
    """The planned-care section's waiting lists: each list now (people waiting, within 18
    weeks, 52 weeks or more) and the median of the build's simulated runs after its last week
    with today's capacity, largest list first, with sentences that say what the table says.
    Published figures unless an analyst asks for exact ones (as the metrics). None when the
    build has no waiting lists."""
    from icsight.services import NotFoundError
    from icsight.services.waiting_lists import list_name

    try:
        queues = services.waiting_lists.queues(who, published=published)
        ends = services.waiting_lists.trajectories(who, published=published, last_week=True)
    except NotFoundError:
        return None
    build = services.waiting_lists.build()
    end = {(r["treatment_function"], r["provider_code"], r["measure"]): r for r in ends}
    rows = []
    for q in sorted(queues, key=lambda q: -(q["queue_size"] or 0)):
        key = (q["treatment_function"], q["provider_code"])
        size = end.get((*key, "list_size"), {})
        within = end.get((*key, "percent_within_18_weeks"), {})
        tail = end.get((*key, "over_52_weeks"), {})
        rows.append({"list": list_name(*key), "code": f"{key[0]} {key[1]}",
                     "waiting": _count_text(q["queue_size"]),
                     "within": _percent_text(q["percent_within_18_weeks"]),
                     "over_52": _count_text(q["over_52_weeks"]),
                     "waiting_then": _count_text(size.get("p50")),
                     "range_then": (f"{_count_text(size.get('p10'))} to "
                                    f"{_count_text(size.get('p90'))}"),
                     "within_then": _percent_text(within.get("p50")),
                     "over_52_then": _count_text(tail.get("p50"))})
    shown = [q for q in queues if q["queue_size"] is not None]
    waiting = sum(q["queue_size"] for q in shown)
    over_52 = sum(q["over_52_weeks"] or 0 for q in shown)
    within = sum(q["within_18_weeks"] or 0 for q in shown)
    weeks = build.get("weeks", 52)
    growing = sum(1 for q in queues
                  if q["queue_size"] and (end.get((q["treatment_function"],
                                                   q["provider_code"], "list_size"), {})
                                          .get("p50") or 0) > q["queue_size"])
    lines = [f"{_plural(len(queues), 'waiting list')} (treatment function at provider) "
             f"on {build.get('as_of', 'the build day')}: {waiting:,.0f} people waiting on the "
             f"{_plural(len(shown), 'list')} whose figures are published, "
             f"{100 * within / waiting if waiting else 0:.1f}% of them for 18 weeks or less "
             f"(the standard is 92%) and {over_52:,.0f} for 52 weeks or more."]
    lines.append(f"With today's capacity, {growing} of the {_plural(len(shown), 'list')} "
                 f"with published figures {'is' if growing == 1 else 'are'} expected to be "
                 f"longer in {weeks} weeks (the median of {build.get('runs', 100)} simulated "
                 "runs).")
    return {"rows": rows, "summary": lines, "weeks": weeks, "as_of": build.get("as_of")}


# --- planning to 2043 (the system paper) -------------------------------------------------------

#: The point of delivery the system paper draws year by year to the horizon: emergency
#: (non-elective) admissions, the demand that drives beds and that the strategy's
#: admission-avoidance work is meant to bend; the others are in its table.
CHARTED_POD = "non_elective"

#: What the system paper says when the build made no planning tables.
NO_PLANNING = ("The latest build has no planning projections. They are made when the whole "
               "catalogue is built, or with `icsight build --planning`.")
#: The capacity measures the board sees: general and acute beds at the target occupancy, and
#: whole-time equivalents by staff group (every `wte:` measure).
BOARD_BEDS = "beds"
#: The age from which the section counts older people (ONS's "80 and over").
OLDER = 80


def _change_text(before: float | None, after: float | None) -> str:
    """`after` against `before` as a signed percentage ("+14.3%"), or "-" when either is
    missing or `before` is 0."""
    if before is None or after is None or before == 0:
        return "-"
    return f"{100 * (after / before - 1):+.1f}%"


def _amount_text(value: float | None, unit: str = "") -> str:
    """A projected amount as the board reads it: whole-time equivalents to one decimal place,
    everything else (people, activity, beds) whole; WITHHELD for a withheld one."""
    if value is None:
        return WITHHELD
    return f"{value:,.1f}" if unit == "WTE" else f"{value:,.0f}"


def _day_text(iso: str) -> str:
    """An ISO date as a board reads it: "30 September 2026"."""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def _in_sentence(name: str) -> str:
    """A name for the middle of a sentence: "Non-elective admissions" -> "non-elective
    admissions", but "A&E attendances" and "MSK referrals" keep their capitals."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _interval_text(row: dict | None, unit: str = "") -> str:
    """A row's median with the p10 to p90 interval ("7,345 (7,150 to 7,540)")."""
    if not row or row.get("p50") is None:
        return WITHHELD
    return (f"{_amount_text(row['p50'], unit)} ({_amount_text(row.get('p10'), unit)} to "
            f"{_amount_text(row.get('p90'), unit)})")


def _by_scenario(rows: list[dict], key: str) -> dict[tuple[str, str], dict]:
    """Rows by (scenario in lower case, `key`'s value)."""
    return {(str(r["scenario"]).lower(), r[key]): r for r in rows}


def planning_section(services: Service, who: Principal, published: bool) -> dict:
    """The system paper's planning to 2043: BLMK's residents in the first and last year under
    ONS's 2022-based projection and the housing-led variant; each point of delivery's
    activity in the horizon year (median and p10 to p90 over the runs) under the principal
    and mitigated scenarios against the baseline year; the beds and whole-time equivalents
    needed in the horizon year and what the mitigated scenario saves (paired run by run), all
    for BLMK; with sentences that say what the tables say. Published figures unless an
    analyst asks for exact ones (ONS's projections are public either way). When the build
    made no planning tables: {"missing": why}."""
    from icsight.planning.population import BLMK, VARIANTS
    from icsight.services import NotFoundError

    build = services.projections.build()
    if build.get("skipped"):  # the lake could not give a baseline year
        return {"missing": f"The latest build made no planning projections: "
                           f"{build['skipped']}."}
    if not build:
        return {"missing": NO_PLANNING}
    first, horizon = build["years"]
    try:
        people = [*services.projections.population(who, year=first),
                  *services.projections.population(who, year=horizon)]
        demand = services.projections.demand(who, place=BLMK, published=published)
        needed = services.projections.capacity(who, place=BLMK, published=published)
        saved = services.projections.savings(who, place=BLMK, published=published)
    except NotFoundError:
        return {"missing": NO_PLANNING}

    population = []
    for variant, name in VARIANTS.items():
        rows = [r for r in people if r["variant"] == variant]
        total = {y: sum(r["people"] for r in rows if r["year"] == y) for y in (first, horizon)}
        older = {y: sum(r["people"] for r in rows if r["year"] == y and r["age"] >= OLDER)
                 for y in (first, horizon)}
        population.append({"variant": variant, "name": name,
                           "first": total[first], "horizon": total[horizon],
                           "older_first": older[first], "older_horizon": older[horizon],
                           "first_text": _amount_text(total[first]),
                           "horizon_text": _amount_text(total[horizon]),
                           "change": _change_text(total[first], total[horizon]),
                           "older_first_text": _amount_text(older[first]),
                           "older_horizon_text": _amount_text(older[horizon]),
                           "older_change": _change_text(older[first], older[horizon])})

    at_horizon = _by_scenario([r for r in demand if r["year"] == horizon], "pod")
    activity = []
    for pod in dict.fromkeys(r["pod"] for r in demand):
        principal, mitigated = at_horizon.get(("principal", pod)), at_horizon.get(("mitigated",
                                                                                  pod))
        row = principal or mitigated
        activity.append({"pod": pod, "name": row["point_of_delivery"], "unit": row["unit"],
                         "baseline": _amount_text(row["baseline"]),
                         "principal": _interval_text(principal),
                         "principal_change": _change_text(row["baseline"],
                                                          (principal or {}).get("p50")),
                         "mitigated": _interval_text(mitigated),
                         "mitigated_change": _change_text(row["baseline"],
                                                          (mitigated or {}).get("p50"))})

    needs = _by_scenario([r for r in needed if r["year"] == horizon], "measure")
    savings = {r["measure"]: r for r in saved if r["year"] == horizon}
    capacity = []
    for measure in dict.fromkeys(r["measure"] for r in needed):
        if measure != BOARD_BEDS and not measure.startswith("wte:"):
            continue
        principal, mitigated = needs.get(("principal", measure)), needs.get(("mitigated",
                                                                            measure))
        row = principal or mitigated
        capacity.append({"measure": measure, "name": row["label"], "unit": row["unit"],
                         "baseline": _amount_text(row.get("baseline"), row["unit"]),
                         "principal": _interval_text(principal, row["unit"]),
                         "mitigated": _interval_text(mitigated, row["unit"]),
                         "saved": _interval_text(savings.get(measure), row["unit"])})

    lines = _planning_summary(build, population, at_horizon, needs, savings)
    return {"population": population, "activity": activity, "capacity": capacity,
            "fan": _fan(demand, build), "summary": lines, "first": first, "horizon": horizon,
            "baseline_end": _day_text(build["baseline_window"][1]), "runs": build.get("runs"),
            "seed": build.get("seed"), "scenarios": build.get("scenarios", {}),
            "assumptions": build.get("capacity_assumptions")}


def _fan(demand: list[dict], build: dict) -> dict | None:
    """What the paper's fan chart draws: BLMK's emergency admissions (`CHARTED_POD`) in every
    year to the horizon under each scenario (p10, median, p90), with the baseline year's
    activity and where it sits on the mid-year scale. None if the build did not project it."""
    from icsight.planning.demand.projection import baseline_mid_year

    rows = [r for r in demand if r["pod"] == CHARTED_POD]
    if not rows:
        return None
    return {"name": rows[0]["point_of_delivery"], "unit": rows[0]["unit"],
            "baseline": rows[0]["baseline"],
            "baseline_year": baseline_mid_year(build.get("baseline_window")),
            "baseline_end": _day_text(build["baseline_window"][1]),
            "rows": [{k: r[k] for k in ("scenario", "year", "p10", "p50", "p90")}
                     for r in rows]}


def _planning_summary(build: dict, population: list[dict], demand: dict, needs: dict,
                      savings: dict) -> list[str]:
    """Sentences that say what the planning tables say."""
    first, horizon = build["years"]
    runs = build.get("runs", 256)
    ons, housing = population[0], population[-1]
    lines = [f"BLMK's residents are projected to go from {ons['first_text']} in {first} to "
             f"{ons['horizon_text']} in {horizon} ({ons['change']}) on ONS's 2022-based "
             f"projection, and to {housing['horizon_text']} ({housing['change']}) on the "
             f"housing-led variant; people aged {OLDER} and over by {ons['older_change']} and "
             f"{housing['older_change']}."]
    rises = [(r["p50"] / r["baseline"] - 1, r) for (scenario, _), r in demand.items()
             if scenario == "principal" and r.get("p50") is not None and r.get("baseline")]
    if rises:
        rise, top = max(rises, key=lambda x: x[0])
        lines.append(f"Under the principal scenario (ONS growth, no mitigation) the largest "
                     f"rise in activity by {horizon} is in "
                     f"{_in_sentence(top['point_of_delivery'])}: "
                     f"{100 * rise:+.1f}% on the baseline year (the median of {runs} runs).")
    beds = {s: needs.get((s, BOARD_BEDS)) for s in ("principal", "mitigated")}
    saved = savings.get(BOARD_BEDS)
    if beds["principal"] and beds["principal"].get("p50") is not None:
        need = beds["principal"]
        line = (f"In {horizon} the principal scenario needs {_amount_text(need['p50'])} "
                f"{_in_sentence(need['label'])} (the median of {runs} runs; 8 runs in 10 "
                f"need {_amount_text(need.get('p10'))} to {_amount_text(need.get('p90'))}), "
                f"against {_amount_text(need.get('baseline'))} in the baseline year")
        if saved and saved.get("p50") is not None:
            fewer = "fewer" if saved["p50"] >= 0 else "more"
            line += (f"; the mitigated scenario needs {_amount_text(abs(saved['p50']))} "
                     f"{fewer} (the median of the differences run by run; 8 runs in 10: "
                     f"{_amount_text(saved.get('p10'))} to {_amount_text(saved.get('p90'))}"
                     ")")
        lines.append(line + ".")
    return lines


def build_paper(services: Service, database, month: str, programme_id: str | None = None,
                who: Principal = ANONYMOUS, published: bool = True) -> BoardPaper:
    """The paper for one programme (`programme_id`) or, with None, the Health and Care
    Professional Leadership Group's summary of all six, for `month` (YYYY-MM).

    `database` is the application database the commentary is read from (None: no
    commentary). Raises KeyError for an unknown programme and the services' NotFoundError
    for a month the build does not have (its message names the months it has)."""
    if programme_id is not None and programme_id not in PROGRAMMES:
        raise KeyError(programme_id)
    chosen = [programme_id] if programme_id else list(PROGRAMMES)
    indicators = [ind for ind in catalogue().values() if ind.programme in chosen]
    period_end = services.reports.period_end(who, month)
    figures = services.reports.metric_figures(who, [i.id for i in indicators], month,
                                              published=published)
    notes = (commentary_for_month(database, [i.id for i in indicators], month)
             if database is not None else {})
    sections = [Section(key, PROGRAMMES[key],
                        [Metric(ind, figures[ind.id], notes.get(ind.id))
                         for ind in indicators if ind.programme == key],
                        every_chart=programme_id is not None)
                for key in chosen]
    for section in sections:
        if section.programme_id == PLANNED_CARE:
            section.waiting_lists = waiting_list_section(services, who, published)
    title = (f"{PROGRAMMES[programme_id]}: programme report" if programme_id
             else "Population health programmes: system summary")
    build = services.aggregates.build(who)
    planning = planning_section(services, who, published) if programme_id is None else None
    return BoardPaper(title=title, month=month, period_end=period_end, sections=sections,
                      published=published, run_id=build.get("run_id"), planning=planning)
