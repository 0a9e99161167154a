"""Opening a lake: purposes of use, engines, and what Spark needs."""

from __future__ import annotations

import pytest

from icsight.engine import LakeError, open_lake
from icsight.engine import spark as spark_engine
from icsight.governance.purpose import Purpose
from tests.lakes import make_lake, patient


def test_purpose_is_one_vocabulary_however_it_is_written():
    assert Purpose.parse("direct care") is Purpose.DIRECT_CARE
    assert Purpose.parse("Direct-Care") is Purpose.DIRECT_CARE
    assert Purpose.parse(Purpose.PLANNING) is Purpose.PLANNING
    assert Purpose.DIRECT_CARE.label == "direct care"
    assert [p.opt_out_applies for p in Purpose] == [False, False, True, True]
    with pytest.raises(ValueError, match="one of all, direct_care, planning, research"):
        Purpose.parse("marketing")


def test_the_opt_out_follows_the_purpose(tmp_path):
    folder = make_lake(tmp_path, [patient(1), patient(2, data_opt_out=True)], [])
    counts = {p: open_lake(folder, purpose=p).table("patients").count().to_pyarrow().as_py()
              for p in ("planning", "research", "direct care", "all")}
    assert counts == {"planning": 1, "research": 1, "direct care": 2, "all": 2}
    assert open_lake(folder, purpose="direct care").purpose is Purpose.DIRECT_CARE


def test_an_unknown_purpose_or_engine_is_refused(tmp_path):
    folder = make_lake(tmp_path, [patient(1)], [])
    with pytest.raises(LakeError, match="unknown purpose"):
        open_lake(folder, purpose="marketing")
    with pytest.raises(LakeError, match="unknown backend"):
        open_lake(folder, backend="oracle")


def test_spark_without_java_says_what_to_install(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_engine.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="apt-get install openjdk-17-jre-headless"):
        spark_engine.check_java()


def test_spark_with_a_java_home_is_accepted(monkeypatch, tmp_path):
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setattr(spark_engine.shutil, "which", lambda _name: None)
    spark_engine.check_java()  # no error
