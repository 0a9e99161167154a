"""Pseudonymisation at the door: NHS numbers become keyed hashes.

The pseudonym of a person is the first 63 bits of HMAC-SHA256(key, "nhs:" + NHS number), read as
a big-endian integer: a positive 64-bit integer that joins fast on every engine. Only someone
holding the key can link a pseudonym back to an NHS number, by recomputing it; the key is never
stored with the data or in the repository.

Where the key comes from, in order:

1. the environment variable `ICSIGHT_PSEUDONYM_KEY` (hex or any text of 32+ characters);
2. the file named by `ICSIGHT_PSEUDONYM_KEY_FILE`;
3. `~/.config/icsight/pseudonym.key`, created with 32 random bytes (mode 0600) on first use.

Key rotation: see `docs/governance.md`.

With 63 bits, a collision among a million people has odds of about 1 in 18 million; the
generator and ingestion check for one and stop rather than merge two people.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from icsight.settings import get as setting

ENV_KEY = "ICSIGHT_PSEUDONYM_KEY"
ENV_KEY_FILE = "ICSIGHT_PSEUDONYM_KEY_FILE"
MIN_KEY_CHARS = 32
_MASK = (1 << 63) - 1


class PseudonymKeyError(RuntimeError):
    """The pseudonymisation key is missing or too weak."""


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "icsight" / "pseudonym.key"


def load_key(create: bool = True) -> bytes:
    """The pseudonymisation key, from the environment, a key file, or a new per-user key file."""
    text = setting(ENV_KEY)
    if text is None and setting(ENV_KEY_FILE):
        path = Path(setting(ENV_KEY_FILE))
        if not path.is_file():
            raise PseudonymKeyError(f"{ENV_KEY_FILE} names {path}, which does not exist")
        text = path.read_text().strip()
    if text is None:
        path = default_key_file()
        if not path.is_file():
            if not create:
                raise PseudonymKeyError(f"no pseudonymisation key: set {ENV_KEY} or create {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        text = path.read_text().strip()
    if len(text) < MIN_KEY_CHARS:
        raise PseudonymKeyError(
            f"the pseudonymisation key has {len(text)} characters; use at least {MIN_KEY_CHARS} "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return text.encode("utf-8")


def pseudonym(key: bytes, value: str, namespace: str = "nhs") -> int:
    """The pseudonymous id of one identifier.

    `namespace` separates kinds of identifier: `nhs` for NHS numbers, and for a source's local
    identifier its system (so the same local number in two systems gives two people).
    """
    digest = hmac.digest(key, f"{namespace}:{value}".encode(), hashlib.sha256)
    return int.from_bytes(digest[:8], "big") & _MASK


def pseudonyms(key: bytes, values: Iterable[str], namespace: str = "nhs") -> np.ndarray:
    """Pseudonyms of many identifiers, as an int64 array; raises if two collide."""
    prefix = f"{namespace}:".encode()
    digest = hmac.digest
    out = np.fromiter(
        (int.from_bytes(digest(key, prefix + v.encode(), "sha256")[:8], "big") & _MASK
         for v in values),
        dtype=np.int64,
    )
    if len(np.unique(out)) != len(out):
        raise RuntimeError("pseudonym collision: two identifiers share a pseudonym; "
                           "rotate the key and run again")
    return out
