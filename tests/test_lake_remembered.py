"""Small lookups a single-indicator request needs (practices, LSOAs) are read from the lake's
files once while it is open, not on every request and not only inside a build."""

from __future__ import annotations

from icsight.engine import open_lake
from icsight.indicators.breakdown import reference_frames
from icsight.indicators.catalogue import indicator
from tests.lakes import make_lake, patient


def test_the_lookups_are_read_once_for_every_request(tmp_path, monkeypatch):
    lake = open_lake(make_lake(tmp_path / "lake", [patient(1)], []))
    read = []
    real = lake.table

    def counting(name, *args, **kwargs):
        read.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(lake, "table", counting)
    first = reference_frames(lake)
    indicator("CVDP001HYP").compute(lake, "2025-03-31")
    indicator("CVDP001HYP").compute(lake, "2024-03-31")
    assert reference_frames(lake) is first
    assert read.count("practices") == 1 and read.count("lsoas") == 1


def test_a_value_is_remembered_by_name_until_the_lake_is_opened_again(tmp_path):
    folder = make_lake(tmp_path / "lake", [patient(1)], [])
    lake = open_lake(folder)
    calls = []
    assert lake.remembered("x", lambda: calls.append(1) or "built") == "built"
    assert lake.remembered("x", lambda: calls.append(1) or "again") == "built"
    assert lake.remembered("y", lambda: "other") == "other"
    assert calls == [1]
    assert open_lake(folder).remembered("x", lambda: "fresh") == "fresh"
