"""Sources a careless or hostile supplier sends: archives of every kind under one set of limits
counted while unpacking, members that lead out or repeat or are links, links and special files
in a drop folder. Each is refused whole, named with its reason in the load report; the rest of
the load goes on, and nothing is written outside the load's private folder."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icsight.ingest import sources
from icsight.ingest.load import ingest
from icsight.ingest.sources import expand
from icsight.lake import table_path
from tests.lakes import TEST_KEY

TODAY = dt.date(2026, 11, 22)
HEADER = "nhs_number,date,snomed_code,numeric_value\n"


def _events(*days: int) -> bytes:
    return (HEADER + "".join(f"9434765919,2024-01-{d:02d},38341003,{d}\n" for d in days)).encode()


def _load(tmp_path: Path, *sources: Path):
    return ingest(tmp_path / "lake", list(sources), key=TEST_KEY, today=TODAY)


def _rows(tmp_path: Path) -> int:
    path = table_path(tmp_path / "lake", "clinical_events")
    return pq.read_table(path).num_rows if path.is_file() else 0


def _tar(path: Path, *members: tuple[tarfile.TarInfo, bytes | None], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _info(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize("suffix,mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"),
                                         (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")])
def test_tar_archives_of_every_compression_load_their_files(tmp_path, suffix, mode):
    archive = _tar(tmp_path / f"drop{suffix}",
                   (_info("x/clinical_events.csv"), _events(1, 2)), mode=mode)
    report = _load(tmp_path, archive)
    assert report.refused == [] and _rows(tmp_path) == 2
    (row,) = report.rows()
    assert row["source"] == f"{archive}/x/clinical_events.csv"  # named as the user knows it


@pytest.mark.parametrize("member,reason", [
    (_info("clinical_events.csv", tarfile.SYMTYPE, "/etc/passwd"), "is a symbolic link"),
    (_info("clinical_events.csv", tarfile.LNKTYPE, "/etc/passwd"), "is a hard link"),
    (_info("clinical_events.csv", tarfile.CHRTYPE), "is a device or FIFO"),
    (_info("clinical_events.csv", tarfile.FIFOTYPE), "is a device or FIFO"),
    (_info("../clinical_events.csv"), "points outside the archive"),
    (_info("a/../../clinical_events.csv"), "points outside the archive"),
    (_info("/tmp/clinical_events.csv"), "absolute or empty path"),
    (_info("inner.ndjson.gz"), "is itself an archive"),
])
def test_a_hostile_tar_member_refuses_the_whole_archive_with_its_reason(tmp_path, member,
                                                                        reason):
    data = None if member.type in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE,
                                   tarfile.FIFOTYPE) else _events(3)
    archive = _tar(tmp_path / "drop.tar", (_info("good/clinical_events.csv"), _events(1)),
                   (member, data))
    plain = tmp_path / "clinical_events-plain.csv"
    plain.write_bytes(_events(9))
    report = _load(tmp_path, archive, plain)
    (refused,) = report.refused
    assert refused.startswith(f"{archive}: ") and reason in refused
    assert _rows(tmp_path) == 1  # the plain file loaded; nothing from the archive
    assert not (tmp_path / "clinical_events.csv").exists()


def test_a_duplicate_zip_member_refuses_the_archive(tmp_path):
    archive = tmp_path / "drop.zip"
    with zipfile.ZipFile(archive, "w") as z, pytest.warns(UserWarning, match="Duplicate"):
        z.writestr("clinical_events.csv", _events(1))
        z.writestr("clinical_events.csv", _events(2))
    (refused,) = _load(tmp_path, archive).refused
    assert "appears twice (duplicate archive member)" in refused and _rows(tmp_path) == 0
    spelled = tmp_path / "spelled.zip"
    with zipfile.ZipFile(spelled, "w") as z:  # two spellings of one path
        z.writestr("a/clinical_events.csv", _events(1))
        z.writestr("a/./b/../clinical_events.csv", _events(2))
    (refused,) = _load(tmp_path, spelled).refused
    assert "appears twice" in refused


def test_a_symlink_or_absolute_path_in_a_zip_refuses_it(tmp_path):
    link = zipfile.ZipInfo("clinical_events.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    linked = tmp_path / "linked.zip"
    with zipfile.ZipFile(linked, "w") as z:
        z.writestr(link, "/etc/passwd")
    absolute = tmp_path / "absolute.zip"
    with zipfile.ZipFile(absolute, "w") as z:
        z.writestr("/tmp/x/clinical_events.csv", _events(1))
    report = _load(tmp_path, linked, absolute)
    assert [r.split(": ", 1)[0] for r in report.refused] == [str(linked), str(absolute)]
    assert "is a symbolic link" in report.refused[0]
    assert "absolute or empty path" in report.refused[1]


def _bomb(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as g:
        g.write(data)
    return out.getvalue()


@pytest.mark.parametrize("name", ["bulk.ndjson.gz", "clinical_events.csv.gz", "drop.tar.gz"])
def test_every_gzip_kind_is_under_the_ratio_limit_while_streaming(tmp_path, name, monkeypatch):
    monkeypatch.setenv("ICSIGHT_ARCHIVE_MAX_RATIO", "50")
    payload = HEADER.encode() + b"0" * 2_000_000  # zeros pack about 1000 to 1
    if name.endswith(".tar.gz"):
        _tar(tmp_path / name, (_info("clinical_events.csv"), payload), mode="w:gz")
    else:
        (tmp_path / name).write_bytes(_bomb(payload))
    packed = (tmp_path / name).stat().st_size
    written = []
    create = sources._create

    class Counting(io.RawIOBase):
        def __init__(self, dest):
            self.file = create(dest)

        def write(self, data):
            written.append(len(data))
            return self.file.write(data)

        def close(self):
            self.file.close()

    monkeypatch.setattr(sources, "_create", Counting)
    (refused,) = _load(tmp_path, tmp_path / name).refused
    assert "refused as a possible archive bomb" in refused
    assert sum(written) <= packed * 50 + 1024 * 1024  # stopped at the limit, not after


def test_the_size_limit_holds_for_an_archive_that_barely_compresses(tmp_path, monkeypatch):
    monkeypatch.setenv("ICSIGHT_ARCHIVE_MAX_BYTES", "100000")
    archive = tmp_path / "drop.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("clinical_events.csv", os.urandom(150_000))
    (refused,) = _load(tmp_path, archive).refused
    assert "zip bomb" in refused
    monkeypatch.setenv("ICSIGHT_ARCHIVE_MAX_MEMBERS", "2")
    many = tmp_path / "many.tar"
    _tar(many, *[(_info(f"clinical_events-{i}.csv"), _events(i + 1)) for i in range(3)])
    (refused,) = _load(tmp_path, many).refused
    assert "more than 2 files" in refused


def test_two_gzipped_files_of_the_same_name_both_load(tmp_path):
    for folder, day in (("a", 1), ("b", 2)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "clinical_events.csv.gz").write_bytes(_bomb(_events(day)))
    report = _load(tmp_path, tmp_path / "a", tmp_path / "b")
    assert report.refused == [] and _rows(tmp_path) == 2
    assert {r["source"] for r in report.rows()} == {
        f"{tmp_path}/{f}/clinical_events.csv.gz/clinical_events.csv" for f in "ab"}


def test_links_and_fifos_in_a_drop_folder_are_refused_not_followed(tmp_path):
    drop, elsewhere = tmp_path / "drop", tmp_path / "elsewhere"
    drop.mkdir()
    elsewhere.mkdir()
    (elsewhere / "clinical_events.csv").write_bytes(_events(5))
    (drop / "clinical_events.csv").write_bytes(_events(1))
    (drop / "linked.csv").symlink_to(elsewhere / "clinical_events.csv")
    (drop / "folder").symlink_to(elsewhere)
    os.mkfifo(drop / "pipe.csv")  # opening it would hang a load that followed it
    report = _load(tmp_path, drop)
    assert sorted(report.refused) == [
        f"{drop}/folder: a symbolic link in a drop folder: not followed (put the file itself "
        "there)",
        f"{drop}/linked.csv: a symbolic link in a drop folder: not followed (put the file "
        "itself there)",
        f"{drop}/pipe.csv: not a regular file (a device, FIFO or socket)"]
    assert _rows(tmp_path) == 1


SEGMENT = st.sampled_from(["..", ".", "a", "b", "", "/", "clinical_events.csv", "x.csv",
                           "\\..", "a/../..", "..."])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(SEGMENT, min_size=1, max_size=5).map("/".join), min_size=1,
                max_size=4))
def test_any_member_names_unpack_inside_the_work_folder_or_are_refused(tmp_path, names):
    import tempfile

    # a fresh folder per example: Hypothesis shares one tmp_path across examples and repeats
    # an example (when shrinking or replaying), so a folder named from the example can exist
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    work = case / "work"
    work.mkdir()
    archive = case / "drop.tar"
    _tar(archive, *[(_info(n), _events(1)) for n in names])
    found = expand([archive], work)
    outside = [p for p in case.rglob("*") if p.is_file() and p != archive
               and not p.resolve().is_relative_to(work.resolve())]
    assert outside == []
    if found.refused:
        (label, reason) = found.refused[0]
        assert label == str(archive) and reason
        assert not any(work.rglob("*.csv"))  # a refused archive leaves nothing behind
    else:
        assert len(found.files) == len(names)  # every member, each once
        assert all(f.path.resolve().is_relative_to(work.resolve()) for f in found.files)


def test_the_cli_lists_refused_sources_and_exits_1_after_loading_the_rest(tmp_path,
                                                                          monkeypatch):
    import tempfile

    from click.testing import CliRunner

    from icsight.cli import main

    # a short folder: the report's table cuts a path longer than the console (a test worker's
    # temporary path can be)
    drop = Path(tempfile.mkdtemp(prefix="d")) / "drop"
    drop.mkdir()
    (drop / "clinical_events.csv").write_bytes(_events(1))
    (drop / "linked.csv").symlink_to(drop / "clinical_events.csv")
    monkeypatch.setenv("ICSIGHT_PSEUDONYM_KEY", TEST_KEY.decode())
    result = CliRunner().invoke(main, ["ingest", str(drop), "--lake", str(tmp_path / "lake"),
                                       "--today", TODAY.isoformat()])
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"refused, nothing loaded from it: {drop}/linked.csv: a symbolic link" in text
    assert "1 source(s) refused" in text and _rows(tmp_path) == 1
