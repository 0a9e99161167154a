"""Every `ICSIGHT_*` environment variable icsight reads, in one place.

No other module reads the environment for icsight's own settings: each asks for its value here,
at the moment it needs it (so a test or a service manager can change the environment first).
Every setting is documented in `docs/settings.md`; a test fails when one is missing there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "flag", "get", "path", "positive", "render"]


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, what it is for, and its default."""

    name: str
    help: str
    default: str | None = None


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("ICSIGHT_PSEUDONYM_KEY",
            "The pseudonymisation key itself: hex, or any text of 32 or more characters."),
    Setting("ICSIGHT_PSEUDONYM_KEY_FILE",
            "A file holding the pseudonymisation key (used when ICSIGHT_PSEUDONYM_KEY is "
            "unset); else ~/.config/icsight/pseudonym.key, created on first use."),
    Setting("ICSIGHT_ACCOUNTS",
            "The local accounts file (JSON) icsight used before the application database: "
            "imported into an empty database once, never changed; its folder is also where "
            "the default database lives.",
            "~/.config/icsight/accounts.json"),
    Setting("ICSIGHT_DATABASE_URL",
            "The application database (accounts, commentary, saved views; no patient data): "
            "`sqlite:////absolute/path.db` or `postgresql://user@host:port/name` (psycopg 3). "
            "Migrated to the newest schema on start-up. Unset: the SQLite file `icsight.db` "
            "in the folder of `ICSIGHT_ACCOUNTS` (by default ~/.config/icsight)."),
    Setting("ICSIGHT_SPARK_MASTER",
            "The Spark master for a session icsight starts itself (`open_lake(..., "
            "backend='spark')` without a session).", "local[2]"),
    Setting("ICSIGHT_SESSION_SECRET",
            "The key that signs the HTTP API's session cookies: 32 or more random characters "
            "(a short, repeated, low-entropy or example value is refused at start)."),
    Setting("ICSIGHT_DUCKDB_MEMORY_LIMIT",
            "Most memory DuckDB may hold for one open lake (DuckDB's syntax: `2GB`, "
            "`500MB`); beyond it intermediate results spill to a temporary folder, removed "
            "when the lake is closed. Empty: DuckDB's own default (80% of the machine's RAM).",
            "2GB"),
    Setting("ICSIGHT_WARM_PAGES",
            "Which public pages `icsight serve` makes when it starts, so that no one waits "
            "for a page to be made: `all` (the overview before it listens, then the "
            "programmes, strategy, areas, place profiles, every indicator page, the "
            "inequalities pages, the planning pages for BLMK when the build projected "
            "demand, and every PCN and practice profile in the background, only while no "
            "one else is being answered), `main` (all but the PCN and practice profiles) or "
            "`none`.", "all"),
    Setting("ICSIGHT_LAKE", "The lake the HTTP API serves (for `uvicorn --factory`)."),
    Setting("ICSIGHT_RESULTS", "The results store the HTTP API serves."),
    Setting("ICSIGHT_AUDIT_LOG", "The audit log the HTTP API appends to.",
            "data/audit.jsonl"),
    Setting("ICSIGHT_LAKE_LOCK_TIMEOUT",
            "Seconds a load or the generator waits for another writer of the same lake to "
            "finish before it is refused (0: refuse at once).", "600"),
    Setting("ICSIGHT_ARCHIVE_MAX_BYTES",
            "Most bytes one archive (.zip, .tar, .tar.gz, .gz) may unpack to, counted while "
            "unpacking.", str(2 * 1024**3)),
    Setting("ICSIGHT_ARCHIVE_MAX_RATIO",
            "Most times its own size an archive may unpack to (a higher ratio is refused as "
            "a possible archive bomb).", "200"),
    Setting("ICSIGHT_ARCHIVE_MAX_MEMBERS",
            "Most files one archive may hold.", "10000"),
    Setting("ICSIGHT_SESSION_IDLE_MINUTES",
            "An HTTP session unused for this many minutes ends (checked by the server).", "30"),
    Setting("ICSIGHT_SESSION_MAX_HOURS",
            "An HTTP session ends this many hours after signing in, however busy.", "8"),
    Setting("ICSIGHT_SIGNIN_LOCK_AFTER",
            "Consecutive failed sign-ins that lock a local account.", "5"),
    Setting("ICSIGHT_SIGNIN_LOCK_MINUTES",
            "How long a locked local account stays locked (`icsight users unlock` ends it "
            "sooner).", "15"),
    Setting("ICSIGHT_SIGNIN_PER_MINUTE",
            "Failed sign-ins allowed per minute from one address, and for one user name, "
            "before the API answers 429.", "10"),
    Setting("ICSIGHT_DEV",
            "`1` allows session cookies over plain HTTP (local development only).", "0"),
    Setting("ICSIGHT_DEBUG",
            "`1` lets an unexpected error in an `icsight` command end in its full Python "
            "traceback (otherwise one line says what failed).", "0"),
)}


def _declared(name: str) -> Setting:
    if name not in SETTINGS:
        raise KeyError(f"{name} is not an icsight setting; declare it in icsight.settings")
    return SETTINGS[name]


def get(name: str) -> str | None:
    """The value of setting `name` from the environment (as set, even if empty: an empty key
    is an error for its user to report, not a reason to fall back), else its default."""
    setting = _declared(name)
    value = os.environ.get(name)
    return setting.default if value is None else value


def path(name: str) -> Path | None:
    """A setting that names a file or folder (`~` expanded)."""
    value = get(name)
    return Path(value).expanduser() if value else None


def positive(name: str) -> int:
    """A setting that must be a whole number from 1 to 999,999,999 (a clear error names it if
    not). Bounded: a lock of 10^400 minutes overflowed the clock at the fifth wrong password,
    so the lock was never written and guessing went on unlimited."""
    value = (get(name) or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or int(value) < 1:
        raise ValueError(f"{name} must be a whole number from 1 to 999999999, not "
                         f"{value[:20]!r}")
    return int(value)


def flag(name: str) -> bool:
    """A yes/no setting: `1`, `true` or `yes` for yes."""
    return (get(name) or "").strip().lower() in ("1", "true", "yes")


def render() -> str:
    """docs/settings.md: every setting, what it is for and its default
    (`python -m icsight.settings > docs/settings.md`)."""
    lines = ["# Settings", "",
             "icsight reads these environment variables, and no others of its own. Each is read "
             "when it is needed", "(`icsight.settings`), so a service manager or a test can set "
             "it first. Generated from", "`icsight.settings.SETTINGS`; a test fails when this "
             "page is stale.", "",
             "| variable | what it is for | default |", "| --- | --- | --- |"]
    for s in SETTINGS.values():
        lines.append(f"| `{s.name}` | {s.help} | {f'`{s.default}`' if s.default else '-'} |")
    lines += ["", "Other variables icsight reads, which belong to other tools: `JAVA_HOME` "
              "(the Java runtime Spark uses), `SPARK_LOCAL_IP` (set to 127.0.0.1 for a local "
              "Spark session if unset), `XDG_CONFIG_HOME` (where the default key file lives), "
              "and the variable an OIDC configuration names for its client secret."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
