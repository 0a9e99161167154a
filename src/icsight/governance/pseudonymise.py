"""Pseudonymisation at the door: NHS numbers become keyed hashes.

The pseudonym of a person is the first 63 bits of HMAC-SHA256(key, "nhs:" + NHS number), read as
a big-endian integer: a positive 64-bit integer that joins fast on every engine. Only someone
holding the key can link a pseudonym back to an NHS number, by recomputing it; the key is never
stored with the data or in the repository.

Where the key comes from, in order:

1. the environment variable `ICSIGHT_PSEUDONYM_KEY` (hex or any text of 32+ characters);
2. the file named by `ICSIGHT_PSEUDONYM_KEY_FILE`;
3. `~/.config/icsight/pseudonym.key`, created with 32 random bytes (mode 0600) on first use.

A weak key is refused, not used: fewer than 32 characters, one character repeated, a short
pattern repeated (`0123456789abcdef0123456789abcdef`), a known demonstration value, or text
whose estimated entropy (Shannon, over its characters) is under 128 bits. A key file that its
group or others can read is refused too, with the `chmod 600` that fixes it (NCSC and OWASP
key management guidance: a key is only as secret as the file it sits in). A created key file
and its folder are private (0600, 0700) from the moment they exist.

Key rotation: see `docs/governance.md`.

With 63 bits, a collision among a million people has odds of about 1 in 18 million; the
generator and ingestion check for one and stop rather than merge two people.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import stat
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from icsight.settings import get as setting

ENV_KEY = "ICSIGHT_PSEUDONYM_KEY"
ENV_KEY_FILE = "ICSIGHT_PSEUDONYM_KEY_FILE"
MIN_KEY_CHARS = 32
MIN_KEY_BITS = 128
#: Keys printed in documentation, and words that mark a placeholder or example key: anyone
#: may know such a key.
DEMO_KEYS = frozenset({"0123456789abcdef0123456789abcdef"})
DEMO_WORDS = ("changeme", "change-me", "change_me", "password", "passw0rd", "secret-key",
              "secret_key", "secretkey", "example", "placeholder", "replace-me", "your-key",
              "demo-key")
ADVICE = "(for example: python -c 'import secrets; print(secrets.token_hex(32))')"
_MASK = (1 << 63) - 1


class PseudonymKeyError(RuntimeError):
    """The pseudonymisation key is missing or too weak."""


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "icsight" / "pseudonym.key"


def load_key(create: bool = True) -> bytes:
    """The pseudonymisation key, from the environment, a key file, or a new per-user key file;
    a weak key, or a key file others can read, is a `PseudonymKeyError`."""
    text = setting(ENV_KEY)
    if text is None and setting(ENV_KEY_FILE):
        path = Path(setting(ENV_KEY_FILE))
        if not path.is_file():
            raise PseudonymKeyError(f"{ENV_KEY_FILE} names {path}, which does not exist")
        text = _read_private(path)
    if text is None:
        path = default_key_file()
        if not path.is_file():
            if not create:
                raise PseudonymKeyError(f"no pseudonymisation key: set {ENV_KEY} or create {path}")
            _create_key_file(path)
        text = _read_private(path)
    check_key(text)
    return text.encode("utf-8")


def _create_key_file(path: Path) -> None:
    """A new random key in a file 0600 in a folder 0700, private from creation."""
    old = os.umask(0o077)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    finally:
        os.umask(old)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))


def _read_private(path: Path) -> str:
    """A key file's text, refused if its group or others may read or write it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PseudonymKeyError(
            f"the pseudonymisation key file {path} can be read by others (mode {mode:04o}): "
            f"run `chmod 600 {path}` and try again")
    return path.read_text().strip()


def check_key(text: str, what: str = "the pseudonymisation key") -> None:
    """Refuse a secret that is short, repetitive, a known demonstration value, or of low
    entropy (NCSC and OWASP advice for secrets: long, random, never a default). `what` names
    it in the message: the pseudonymisation key, the session secret."""
    if len(text) < MIN_KEY_CHARS:
        raise PseudonymKeyError(f"{what} has {len(text)} characters; use at least "
                                f"{MIN_KEY_CHARS} {ADVICE}")
    if text.lower() in DEMO_KEYS or any(word in text.lower() for word in DEMO_WORDS):
        raise PseudonymKeyError(f"{what} is a published example; make a random one {ADVICE}")
    if _period(text) < len(text):
        raise PseudonymKeyError(f"{what} is one character or a short pattern repeated; make a "
                                f"random one {ADVICE}")
    bits = _entropy_bits(text)
    if bits < MIN_KEY_BITS:
        raise PseudonymKeyError(f"{what} looks weak (about {bits:.0f} bits of entropy; at "
                                f"least {MIN_KEY_BITS} needed); make a random one {ADVICE}")


def _period(text: str) -> int:
    """The length of the shortest block that, repeated, makes `text` (its length if none)."""
    for n in range(1, len(text) // 2 + 1):
        if len(text) % n == 0 and text[:n] * (len(text) // n) == text:
            return n
    return len(text)


def _entropy_bits(text: str) -> float:
    """Shannon entropy of the text's characters times its length: an upper estimate, enough to
    catch keys typed by hand (`aaaabbbb...`) but not a substitute for a random key."""
    counts = Counter(text)
    per_char = -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())
    return per_char * len(text)


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
