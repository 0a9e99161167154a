"""Planning parameter files (scenarios, capacity assumptions): TOML read and checked against a
pydantic schema, every mistake reported as `file: key.path: why`, so a planner can find it.

A list entry is named after its index when it has a `name` (`mitigators[1] ('Virtual
wards').reduction.p10`); a distribution's kind (`fixed`, `normal`, `lognormal`: a branch of
the schema, not a key in the file) is left out of the path."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["key_path", "read", "validated"]

Model = TypeVar("Model", bound=BaseModel)
#: names in a pydantic error location that are the schema's union branches, not keys
_BRANCHES = ("fixed", "normal", "lognormal")


def key_path(loc: tuple, raw: object) -> str:
    """A pydantic error location as the key path a planner finds in the file."""
    path, here = "", raw
    for part in loc:
        if part in _BRANCHES:
            continue
        if isinstance(part, int):
            path += f"[{part}]"
            here = here[part] if isinstance(here, list) and part < len(here) else None
            name = here.get("name") if isinstance(here, dict) else None
            if isinstance(name, str):
                path += f" ({name!r})"
        else:
            path += f".{part}" if path else str(part)
            here = here.get(part) if isinstance(here, dict) else None
    return path or "(the file)"


def validated(model: type[Model], raw: dict, source: str, error: type[Exception],
              schema: str) -> Model:
    """`raw` (parsed TOML) as `model`, or `error` listing each mistake as
    `source: key.path: why` (`schema` names the schema in the unknown-field message)."""
    try:
        return model.model_validate(raw)
    except ValidationError as problems:
        lines = []
        for problem in problems.errors():
            why = problem["msg"].removeprefix("Value error, ")
            if problem["type"] == "extra_forbidden":
                why = f"unknown field (not in the {schema}; check its spelling)"
            elif problem["type"] == "missing":
                why = "missing: the schema needs it"
            lines.append(f"{source}: {key_path(problem['loc'], raw)}: {why}")
        raise error("\n".join(lines)) from None


def read(path: str | Path, error: type[Exception]) -> dict:
    """A TOML file's contents, or `error` saying why it cannot be read."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{path}: not valid TOML ({problem})") from None
    except OSError as problem:
        raise error(f"{path}: cannot be read ({problem.strerror})") from None
