"""Private signing keys at rest: AES-256-GCM under the master key or a 0600 key file."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from jwtgate.store import KeyCipher, load_master_key
from jwtgate.store.crypto import default_key_file


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_seal_and_open_round_trip_bound_to_the_kid() -> None:
    cipher = KeyCipher(os.urandom(32))
    sealed = cipher.seal(b'{"d":"secret"}', aad=b"kid-1")
    assert "secret" not in sealed and sealed.startswith("v1.")
    assert cipher.open(sealed, aad=b"kid-1") == b'{"d":"secret"}'
    with pytest.raises(ValueError, match="does not decrypt"):
        cipher.open(sealed, aad=b"kid-2")  # moved to another key's row


def test_a_different_master_key_or_a_damaged_ciphertext_does_not_open() -> None:
    sealed = KeyCipher(os.urandom(32)).seal(b"x", aad=b"k")
    with pytest.raises(ValueError, match="does not decrypt"):
        KeyCipher(os.urandom(32)).open(sealed, aad=b"k")
    cipher = KeyCipher(os.urandom(32))
    sealed = cipher.seal(b"x", aad=b"k")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(ValueError):
        cipher.open(flipped, aad=b"k")
    with pytest.raises(ValueError, match="encoding"):
        cipher.open("v0.abc", aad=b"k")


def test_the_cipher_repr_shows_no_key() -> None:
    key = os.urandom(32)
    assert repr(KeyCipher(key)) == "KeyCipher(<hidden>)"


def test_master_key_from_settings(tmp_path: Path) -> None:
    key = os.urandom(32)
    url = f"sqlite:///{tmp_path / 'j.db'}"
    assert load_master_key(url, master_key=_b64(key)) == key
    assert not (tmp_path / "j.db.key").exists()  # no key file when the key is given
    for bad in ("short", _b64(os.urandom(16)), "!!!!"):
        with pytest.raises(ValueError, match="JWTGATE_MASTER_KEY"):
            load_master_key(url, master_key=bad)


def test_key_file_is_created_0600_beside_the_database_and_reused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    first = load_master_key(url)
    path = tmp_path / "j.db.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(url) == first
    assert [p.name for p in tmp_path.iterdir()] == ["j.db.key"]  # no temporary left over


def test_key_file_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_key_file("sqlite:///./a/j.db") == Path("a/j.db.key")
    assert default_key_file("sqlite://") is None
    assert default_key_file("postgresql+psycopg://u@h/db") == Path("jwtgate.key")
    monkeypatch.chdir(tmp_path)
    key = load_master_key("postgresql+psycopg://u@h/db")
    assert (tmp_path / "jwtgate.key").exists() and len(key) == 32
    explicit = tmp_path / "keys" / "m.key"
    assert load_master_key("sqlite://", key_file=str(explicit)) == load_master_key(
        "sqlite://", key_file=str(explicit)
    )
    assert len(load_master_key("sqlite://")) == 32  # in-memory database: in-memory key


def test_a_damaged_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.key"
    path.write_text("not a key\n")
    with pytest.raises(ValueError, match=r"bad\.key"):
        load_master_key("sqlite://", key_file=str(path))


def test_processes_starting_together_agree_on_one_key_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    code = (
        "import sys, base64; from jwtgate.store import load_master_key; "
        "print(base64.b64encode(load_master_key(sys.argv[1])).decode())"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    keys = {proc.communicate(timeout=60)[0] for proc in procs}
    assert len(keys) == 1
