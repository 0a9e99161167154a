"""Pseudonymisation: keyed, deterministic, and the key never comes from the repository."""

import os
import stat

import pytest

from icsight.governance import pseudonymise as ps

KEY = b"k" * 40


def test_same_key_same_pseudonym_and_keyed():
    a = ps.pseudonym(KEY, "9434765919")
    assert a == ps.pseudonym(KEY, "9434765919")
    assert a != ps.pseudonym(b"j" * 40, "9434765919")
    assert 0 < a < 2**63


def test_namespaces_keep_identifier_systems_apart():
    assert ps.pseudonym(KEY, "12345", "nhs") != ps.pseudonym(KEY, "12345", "urn:local:pas")


def test_known_value_is_hmac_sha256():
    import hashlib
    import hmac

    digest = hmac.new(KEY, b"nhs:9434765919", hashlib.sha256).digest()
    assert ps.pseudonym(KEY, "9434765919") == int.from_bytes(digest[:8], "big") & (2**63 - 1)


def test_many_at_once_matches_one_at_a_time():
    values = [str(9000000000 + i) for i in range(50)]
    assert list(ps.pseudonyms(KEY, values)) == [ps.pseudonym(KEY, v) for v in values]


#: A key that passes the strength checks (random hex, written down once for the tests).
STRONG = "5f0c9e2a7b41d8836a1e04c9b27d5f93e18a6c40b7d2f95e"


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv(ps.ENV_KEY, STRONG)
    assert ps.load_key() == STRONG.encode()


def test_short_key_is_refused_with_advice(monkeypatch):
    monkeypatch.setenv(ps.ENV_KEY, "short")
    with pytest.raises(ps.PseudonymKeyError, match="at least 32"):
        ps.load_key()


def test_key_file_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(ps.ENV_KEY, raising=False)
    f = tmp_path / "key"
    f.write_text(STRONG + "\n")
    f.chmod(0o600)
    monkeypatch.setenv(ps.ENV_KEY_FILE, str(f))
    assert ps.load_key() == STRONG.encode()
    monkeypatch.setenv(ps.ENV_KEY_FILE, str(tmp_path / "missing"))
    with pytest.raises(ps.PseudonymKeyError, match="does not exist"):
        ps.load_key()


def test_default_key_file_is_created_private(monkeypatch, tmp_path):
    monkeypatch.delenv(ps.ENV_KEY, raising=False)
    monkeypatch.delenv(ps.ENV_KEY_FILE, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    key = ps.load_key()
    path = tmp_path / "icsight" / "pseudonym.key"
    assert path.read_text().encode() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert ps.load_key() == key  # stable once created
    with pytest.raises(ps.PseudonymKeyError):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "other"))
        ps.load_key(create=False)
