"""Sources: the files a load reads, found in folders and unpacked from archives, with limits.

`expand` turns what the user named (files, folders, `.zip` and `.gz` archives) into a flat list
of files for the parsers. Archives are opened here, before anything is parsed or written, and
refused whole when they look hostile: too big once unpacked, compressed suspiciously well (a
zip bomb), too many members, or a member whose path leads outside the archive. A refusal is an
`IngestError` and the load stops with the lake untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from icsight.ingest.records import IngestError

#: Archive limits: total uncompressed size, expansion ratio, number of members.
MAX_UNPACKED_BYTES = 2 * 1024**3
MAX_RATIO = 200
MAX_MEMBERS = 10_000
#: Gzipped files a parser reads as they are (bulk FHIR NDJSON), so they are not unpacked.
READ_GZIPPED = (".ndjson.gz",)
CHUNK = 1024 * 1024


def expand(sources: Iterable[str | Path], workdir: Path) -> list[Path]:
    """Every file to parse, in order: folders walked (sorted), archives unpacked into `workdir`."""
    files: list[Path] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files.extend(sorted(p for p in source.rglob("*") if p.is_file()))
        elif source.is_file():
            files.append(source)
        else:
            raise IngestError(f"{source} does not exist; give files or folders to ingest")
    out = []
    for f in files:
        name = f.name.lower()
        if name.endswith(".zip"):
            out.extend(unzip(f, workdir))
        elif name.endswith(".gz") and not name.endswith(READ_GZIPPED):
            out.append(gunzip(f, workdir))
        else:
            out.append(f)
    return out


def unzip(path: Path, workdir: Path) -> list[Path]:
    """The members of a zip archive, unpacked into `workdir`, or an `IngestError` if hostile."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise IngestError(f"{path}: not a readable zip file ({e})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_zip_limits(path, members)
        # One folder per archive (named from its path), so two archives' members never collide.
        target = workdir / f"zip-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        out = []
        for m in members:
            dest = _inside(path, target, m.filename)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(m) as src, open(dest, "wb") as dst:
                copy_limited(src, dst, m.file_size, path)
            out.append(dest)
        return out


def _check_zip_limits(path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse the archive, by what its directory declares, before unpacking any of it."""
    if len(members) > MAX_MEMBERS:
        raise IngestError(f"{path}: {len(members):,} files in the archive (limit "
                          f"{MAX_MEMBERS:,}); refused, nothing loaded")
    total = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if total > MAX_UNPACKED_BYTES or total / packed > MAX_RATIO:
        raise IngestError(f"{path}: would expand to {total:,} bytes ({total / packed:.0f}x "
                          "its size): refused as a possible zip bomb, nothing loaded")


def _inside(path: Path, target: Path, member: str) -> Path:
    """Where `member` unpacks to, refusing names like `../../x` that lead out of `target`."""
    dest = (target / member).resolve()
    if not str(dest).startswith(str(target.resolve())):
        raise IngestError(f"{path}: member {member!r} points outside the archive; "
                          "refused, nothing loaded")
    return dest


def gunzip(path: Path, workdir: Path) -> Path:
    """A gzipped file unpacked into `workdir`; a gzip header does not declare its unpacked
    size reliably, so the limit is enforced while copying."""
    dest = workdir / path.name[:-3]
    packed = max(path.stat().st_size, 1)
    with gzip.open(path, "rb") as src, open(dest, "wb") as dst:
        copy_limited(src, dst, min(MAX_UNPACKED_BYTES, packed * MAX_RATIO), path)
    return dest


def copy_limited(src: BinaryIO, dst: BinaryIO, limit: int, path: Path) -> None:
    """Copy `src` to `dst`, stopping with an `IngestError` past `limit` bytes (the declared size
    can lie) or if the archive is damaged."""
    written = 0
    try:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise IngestError(f"{path}: expands beyond {limit:,} bytes: refused as a "
                                  "possible archive bomb, nothing loaded")
            dst.write(chunk)
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise IngestError(f"{path}: the archive is damaged ({e}); nothing loaded") from None
