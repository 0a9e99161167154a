"""Sources: the files a load reads, copied privately, found in folders and unpacked from
archives, with limits.

`expand` turns what the user named (files, folders, archives) into `Source`s: each a private
copy in the load's work folder (0700, beside the lake) and the name the user knows it by. The
copy is what the ledger hashes and what the parsers read, so the SHA-256 in the ledger is taken
over exactly the bytes that were parsed: a file changed while it is being loaded cannot make
the ledger record rows under another file's hash (OWASP: "time of check to time of use").

Archives of every kind (`.zip`; `.tar`, `.tar.gz`/`.tgz`, `.tar.bz2`, `.tar.xz`; a single
gzipped file such as `.csv.gz` or bulk FHIR `.ndjson.gz`) are unpacked into their own folder
under the same limits (`ICSIGHT_ARCHIVE_MAX_BYTES`, `_RATIO`, `_MEMBERS`), counted while the
bytes stream, not after. A source is refused whole, with a named reason and nothing loaded
from it, when it is:

* an archive that would unpack beyond the size or ratio limits (a possible archive bomb), or
  holds too many files, or is damaged;
* an archive with a member whose path, resolved, leads outside it (`../x`, `/etc/x`), a member
  named twice, a member that is a symbolic or hard link, a device or a FIFO, or a member that
  is itself an archive;
* a symbolic link, device or FIFO inside a folder (never followed or opened).

The other sources of the load go on; the refusals are listed in the load report.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import math
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from icsight.ingest.records import IngestError
from icsight.lake import LakeFullError, writing
from icsight.settings import get as setting

CHUNK = 1024 * 1024
#: Single-stream compressions of a tar archive, by the end of its name.
TAR_OPENERS: dict[str, Callable[..., BinaryIO]] = {
    ".tar": open, ".tar.gz": gzip.open, ".tgz": gzip.open, ".tar.bz2": bz2.open,
    ".tar.xz": lzma.open}
ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz")
#: What an archive may be that is not a proper reading of it: each becomes "damaged".
_DAMAGED = (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError,
            RuntimeError, NotImplementedError, ValueError)


class RefusedError(Exception):
    """A source that is not loaded at all, and why (said in the load report)."""


@dataclass(frozen=True)
class Source:
    """One file to parse: `path` is the load's private copy, `label` what the user calls it
    (its path, or `archive/member`)."""

    path: Path
    label: str


@dataclass
class Expanded:
    """What `expand` found: the files to load and the sources refused, with the reason."""

    files: list[Source] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Limits:
    """The archive limits, from the settings."""

    max_bytes: int
    max_ratio: float
    max_members: int

    @classmethod
    def from_settings(cls) -> Limits:
        values = []
        for name in ("ICSIGHT_ARCHIVE_MAX_BYTES", "ICSIGHT_ARCHIVE_MAX_RATIO",
                     "ICSIGHT_ARCHIVE_MAX_MEMBERS"):
            text = setting(name) or ""
            try:
                value = float(text)
            except ValueError:
                raise IngestError(f"{name}={text!r} is not a number") from None
            # nan would pass every comparison (a ratio of nan switched the bomb check off),
            # and inf or a 5,000-digit value crashed the load converting it to a whole number.
            if not (math.isfinite(value) and value > 0):
                raise IngestError(f"{name}={text!r}: give a positive finite number")
            values.append(value)
        return cls(int(values[0]), values[1], int(values[2]))

    def budget(self, packed: int) -> int:
        """Bytes an archive of `packed` bytes may unpack to."""
        return int(min(self.max_bytes, max(packed, 1) * self.max_ratio))


def expand(sources: Iterable[str | Path], workdir: Path) -> Expanded:
    """Every file to parse, privately copied into `workdir`, in order: folders walked (sorted),
    archives unpacked; hostile sources refused with a reason."""
    limits = Limits.from_settings()
    found = Expanded()
    for n, (path, label, in_folder) in enumerate(_named(sources, found)):
        target = workdir / f"{n:05d}"
        try:
            found.files.extend(_take(path, label, in_folder, target, limits))
        except RefusedError as e:
            _remove(target)
            found.refused.append((label, str(e)))
    return found


def _named(sources: Iterable[str | Path], found: Expanded) -> Iterator[tuple[Path, str, bool]]:
    """(path, label, inside a folder) of every regular file named or in a named folder."""
    for source in sources:
        source = Path(source)
        if source.is_dir():
            yield from _walk(source, found)
        elif source.is_file():
            yield source, str(source), False
        elif os.path.lexists(source):
            found.refused.append((str(source), "not a regular file (a device, FIFO or broken "
                                               "link); refused"))
        else:
            raise IngestError(f"{source} does not exist; give files or folders to ingest")


def _walk(folder: Path, found: Expanded) -> Iterator[tuple[Path, str, bool]]:
    """A folder's regular files, sorted; links and special files refused, never followed."""
    entries = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        entries.extend(Path(root) / name for name in dirs + files)
    for path in sorted(entries):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            found.refused.append((str(path), "a symbolic link in a drop folder: not followed "
                                             "(put the file itself there)"))
        elif stat.S_ISREG(mode):
            yield path, str(path), True
        elif not stat.S_ISDIR(mode):
            found.refused.append((str(path), "not a regular file (a device, FIFO or socket)"))


def _take(path: Path, label: str, in_folder: bool, target: Path, limits: Limits
          ) -> list[Source]:
    """The private copy of one file, unpacked if it is an archive."""
    target.mkdir(mode=0o700)
    copy = target / path.name
    _copy_private(path, copy, in_folder)
    name = path.name.lower()
    tar = next((s for s in TAR_OPENERS if name.endswith(s)), None)
    if name.endswith(".zip"):
        members = _unzip(copy, target / "x", limits)
    elif tar is not None:
        members = _untar(copy, TAR_OPENERS[tar], target / "x", limits)
    elif name.endswith(".gz"):
        members = [_gunzip(copy, target / "x", limits)]
    else:
        return [Source(copy, label)]
    copy.unlink()  # the unpacked members are what is read
    return [Source(p, f"{label}/{member}") for p, member in members]


def _copy_private(path: Path, dest: Path, in_folder: bool) -> None:
    """Copy a regular file, refusing one that turned into a link or device since the walk."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (os.O_NOFOLLOW if in_folder else 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise RefusedError(f"cannot be opened ({e.strerror}); a link in a drop folder is not "
                      "followed") from None
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            raise RefusedError("not a regular file (a device, FIFO or socket)")
        with _create(dest) as dst:
            _copy(src, dst, None, dest)


def _create(dest: Path) -> BinaryIO:
    """A new private file (0600, never an existing file or a link)."""
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    return os.fdopen(fd, "wb")


def _copy(src: BinaryIO, dst: BinaryIO, limit: int | None, dest: Path) -> int:
    """Copy `src` to `dst`, refusing past `limit` bytes (a declared size can lie)."""
    written = 0
    with writing(dest):
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if limit is not None and written > limit:
                raise RefusedError(f"unpacks to more than {limit:,} bytes: refused as a possible "
                              "archive bomb (ICSIGHT_ARCHIVE_MAX_BYTES, _RATIO)")
            dst.write(chunk)
    return written


def _member_path(target: Path, member: str, seen: set[Path]) -> Path:
    """Where `member` unpacks to: refused if it resolves outside `target` or was seen before."""
    if not member or "\x00" in member or os.path.isabs(member):
        raise RefusedError(f"member {member!r} has an absolute or empty path")
    base = Path(os.path.realpath(target))
    dest = Path(os.path.realpath(base / member))
    if dest == base or not dest.is_relative_to(base):
        raise RefusedError(f"member {member!r} points outside the archive")
    if dest in seen:
        raise RefusedError(f"member {member!r} appears twice (duplicate archive member)")
    if dest.name.lower().endswith(ARCHIVE_SUFFIXES):
        raise RefusedError(f"member {member!r} is itself an archive: unpack it and load its files")
    seen.add(dest)
    return dest


def _unzip(path: Path, target: Path, limits: Limits) -> list[tuple[Path, str]]:
    """A zip archive's members, unpacked within the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            _check_zip_directory(members, path.stat().st_size, limits)
            budget, seen, out = limits.budget(path.stat().st_size), set(), []
            for m in members:
                _check_zip_kind(m)
                dest = _member_path(target, m.filename, seen)
                with archive.open(m) as src, _create(dest) as dst:
                    budget -= _copy(src, dst, budget, dest)
                out.append((dest, m.filename))
            return out
    except _DAMAGED as e:
        raise _damaged(e) from None


def _check_zip_directory(members: list[zipfile.ZipInfo], packed: int, limits: Limits) -> None:
    """Refuse by what the zip's directory declares, before unpacking any of it."""
    if len(members) > limits.max_members:
        raise RefusedError(f"{len(members):,} files in the archive (limit {limits.max_members:,}; "
                      "ICSIGHT_ARCHIVE_MAX_MEMBERS)")
    total = sum(m.file_size for m in members)
    if total > limits.budget(packed):
        raise RefusedError(f"would unpack to {total:,} bytes ({total / max(packed, 1):.0f}x its "
                      "size): refused as a possible zip bomb (ICSIGHT_ARCHIVE_MAX_BYTES, _RATIO)")


def _check_zip_kind(member: zipfile.ZipInfo) -> None:
    """Only regular files: a zip made on Unix can hold links and devices."""
    kind = stat.S_IFMT(member.external_attr >> 16)
    if kind in (0, stat.S_IFREG):
        return
    what = "a symbolic link" if kind == stat.S_IFLNK else "not a regular file"
    raise RefusedError(f"member {member.filename!r} is {what}")


class _Counted:
    """A stream that refuses, while reading, to give more than `limit` bytes in all."""

    def __init__(self, raw: BinaryIO, limit: int):
        self.raw, self.limit, self.read_so_far = raw, limit, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise RefusedError(f"unpacks to more than {self.limit:,} bytes: refused as a possible "
                          "archive bomb (ICSIGHT_ARCHIVE_MAX_BYTES, _RATIO)")
        return data


def _untar(path: Path, opener: Callable[..., BinaryIO], target: Path, limits: Limits
           ) -> list[tuple[Path, str]]:
    """A tar archive's regular files, streamed (never seeking) within the limits."""
    try:
        with opener(path, "rb") as raw:
            counted = _Counted(raw, limits.budget(path.stat().st_size))
            with tarfile.open(fileobj=counted, mode="r|") as archive:  # type: ignore[call-overload]
                return _tar_members(archive, target, limits)
    except _DAMAGED as e:
        raise _damaged(e) from None


def _tar_members(archive: tarfile.TarFile, target: Path, limits: Limits
                 ) -> list[tuple[Path, str]]:
    seen: set[Path] = set()
    out = []
    for n, m in enumerate(archive, 1):
        if n > limits.max_members:
            raise RefusedError(f"more than {limits.max_members:,} files in the archive "
                          "(ICSIGHT_ARCHIVE_MAX_MEMBERS)")
        if m.isdir():
            continue
        if not m.isreg():
            what = ("a symbolic link" if m.issym() else "a hard link" if m.islnk()
                    else "a device or FIFO")
            raise RefusedError(f"member {m.name!r} is {what}")
        dest = _member_path(target, m.name, seen)
        src = archive.extractfile(m)
        with src, _create(dest) as dst:  # type: ignore[union-attr]
            _copy(src, dst, None, dest)  # the whole stream is counted by `_Counted`
        out.append((dest, m.name))
    return out


def _gunzip(path: Path, target: Path, limits: Limits) -> tuple[Path, str]:
    """A single gzipped file (`x.csv.gz`, `x.ndjson.gz`) unpacked within the limits; a gzip
    header does not declare its unpacked size reliably, so it is counted while copying."""
    member = path.name[:-3]
    dest = _member_path(target, member, set())
    try:
        with gzip.open(path, "rb") as src, _create(dest) as dst:
            _copy(src, dst, limits.budget(path.stat().st_size), dest)
    except _DAMAGED as e:
        raise _damaged(e) from None
    return dest, member


def _damaged(error: BaseException) -> Exception:
    """A refusal for a damaged archive, unless the disk is full (that is not the archive's
    fault: the load stops and says so)."""
    if isinstance(error, LakeFullError):
        return error
    return RefusedError(f"the archive is damaged or unreadable ({error})")


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
