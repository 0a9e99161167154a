"""Worklist follow-ups in the application database, on SQLite and on PostgreSQL: every outcome
is kept, the latest is the one recorded last, and nothing is mixed between practices, lists
or patients."""

from __future__ import annotations

import datetime as dt

import pytest

from icsight.appdb import open_database
from icsight.appdb.follow_ups import (
    OUTCOMES,
    latest_outcomes,
    outcome_history,
    record_outcome,
)

DAY = dt.date(2026, 10, 5)


def test_the_latest_outcome_is_the_one_recorded_last_and_every_one_is_kept(database_url):
    db = open_database(database_url)
    record_outcome(db, "E81001", "hypertension-no-bp", 42, "invited", DAY, "dr.a")
    record_outcome(db, "E81001", "hypertension-no-bp", 42, "booked", DAY - dt.timedelta(3),
                   "dr.b")  # recorded later, though it names an earlier day: a correction
    latest = latest_outcomes(db, "E81001")
    assert list(latest) == [("hypertension-no-bp", 42)]
    assert latest[("hypertension-no-bp", 42)].outcome == "booked"
    assert latest[("hypertension-no-bp", 42)].recorded_by == "dr.b"
    assert latest[("hypertension-no-bp", 42)].label == "Booked"
    history = outcome_history(db, "E81001", "hypertension-no-bp", 42)
    assert [(h.outcome, h.outcome_date, h.recorded_by) for h in history] == [
        ("invited", DAY, "dr.a"), ("booked", DAY - dt.timedelta(3), "dr.b")]


def test_practices_lists_and_patients_are_kept_apart(database_url):
    db = open_database(database_url)
    record_outcome(db, "E81001", "hypertension-no-bp", 42, "invited", DAY, "dr.a")
    record_outcome(db, "E81001", "cervical-screening-overdue", 42, "declined", DAY, "dr.a")
    record_outcome(db, "E81002", "hypertension-no-bp", 42, "not_appropriate", DAY, "dr.c")
    record_outcome(db, "E81001", "hypertension-no-bp", -(2**63), "booked", DAY, "dr.a")
    mine = latest_outcomes(db, "E81001", "hypertension-no-bp")
    assert {k: v.outcome for k, v in mine.items()} == {
        ("hypertension-no-bp", 42): "invited", ("hypertension-no-bp", -(2**63)): "booked"}
    assert {k: v.outcome for k, v in latest_outcomes(db, "E81001").items()} == {
        ("hypertension-no-bp", 42): "invited", ("cervical-screening-overdue", 42): "declined",
        ("hypertension-no-bp", -(2**63)): "booked"}
    assert latest_outcomes(db, "E81003") == {}


@pytest.mark.parametrize("outcome", ["", "Invited", "done", "invited "])
def test_an_unknown_outcome_is_refused_and_nothing_is_written(database_url, outcome):
    db = open_database(database_url)
    with pytest.raises(ValueError, match="unknown outcome"):
        record_outcome(db, "E81001", "hypertension-no-bp", 42, outcome, DAY, "dr.a")
    assert latest_outcomes(db, "E81001") == {}


def test_every_outcome_has_words_to_show():
    assert set(OUTCOMES) == {"invited", "booked", "declined", "not_appropriate"}
    assert all(label[0].isupper() for label in OUTCOMES.values())
