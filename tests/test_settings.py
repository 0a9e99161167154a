"""Every ICSIGHT_* setting is read in one place and documented (the Datasette habit)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from icsight import settings

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "icsight"
#: Environment reads outside icsight.settings that are not icsight's own settings.
OTHER_TOOLS = {"XDG_CONFIG_HOME", "SPARK_LOCAL_IP", "JAVA_HOME", "client_secret_env",
               "NIXTLA_NUMBA_CACHE"}


def _environment_reads(tree: ast.AST):
    """(line, what) for every os.environ / os.getenv use in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            yield node.lineno, ast.unparse(node)


def test_no_module_but_settings_reads_icsight_variables():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "settings.py":
            continue
        text = path.read_text()
        lines = text.splitlines()
        for line, _ in _environment_reads(ast.parse(text)):
            source = lines[line - 1]
            if not any(name in source for name in OTHER_TOOLS):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {source.strip()}")
    assert not offenders, "read ICSIGHT_* variables through icsight.settings:\n" + \
        "\n".join(offenders)


def test_every_variable_named_in_the_code_is_a_declared_setting():
    named = set()
    for path in SRC.rglob("*.py"):
        named |= set(re.findall(r"\bICSIGHT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    undeclared = named - set(settings.SETTINGS)
    assert not undeclared, f"declare these in icsight.settings.SETTINGS: {sorted(undeclared)}"


def test_docs_page_is_current():
    assert (ROOT / "docs" / "settings.md").read_text() == settings.render(), \
        "docs/settings.md is stale: python -m icsight.settings > docs/settings.md"


def test_settings_are_read_when_needed_with_defaults(monkeypatch):
    monkeypatch.delenv("ICSIGHT_SPARK_MASTER", raising=False)
    assert settings.get("ICSIGHT_SPARK_MASTER") == "local[2]"
    monkeypatch.setenv("ICSIGHT_SPARK_MASTER", "spark://cluster:7077")
    assert settings.get("ICSIGHT_SPARK_MASTER") == "spark://cluster:7077"
    monkeypatch.setenv("ICSIGHT_DEV", "1")
    assert settings.flag("ICSIGHT_DEV")
    monkeypatch.setenv("ICSIGHT_ACCOUNTS", "~/x.json")
    assert settings.path("ICSIGHT_ACCOUNTS") == Path.home() / "x.json"


def test_an_empty_value_is_kept_not_replaced_by_the_default(monkeypatch):
    monkeypatch.setenv("ICSIGHT_PSEUDONYM_KEY", "")
    assert settings.get("ICSIGHT_PSEUDONYM_KEY") == ""


def test_an_undeclared_setting_is_refused():
    with pytest.raises(KeyError, match="declare it"):
        settings.get("ICSIGHT_NO_SUCH_THING")
