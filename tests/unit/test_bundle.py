"""Encrypted .dvcx bundles and passphrases."""

from __future__ import annotations

import io
import logging
import struct

import pytest

from dvcoord.exchange import bundle
from dvcoord.exchange.bundle import BundleError, PassphraseNeeded, WrongPassphrase

FAST = {"n": 2**10, "r": 8, "p": 1}
SECRET = "violet tractor moonlight"


def test_round_trip():
    data = b"SQLite format 3\x00" + bytes(range(256)) * 40
    sealed = bundle.seal(data, SECRET, **FAST)
    assert sealed.startswith(b"DVCX") and data not in sealed
    assert bundle.unseal(sealed, SECRET) == data
    header = bundle.read_header(sealed)
    assert (header.version, header.n, header.r, header.p) == (1, 2**10, 8, 1)
    assert header.length == len(data) and len(header.salt) == 16 and len(header.nonce) == 12


def test_defaults_are_strong():
    assert bundle.SCRYPT_N >= 2**17 and bundle.SCRYPT_R >= 8
    sealed = bundle.seal(b"x", SECRET)  # default parameters, about half a second
    assert bundle.read_header(sealed).n == bundle.SCRYPT_N


def test_each_seal_is_different():
    a, b = bundle.seal(b"same", SECRET, **FAST), bundle.seal(b"same", SECRET, **FAST)
    assert a != b and a[18:46] != b[18:46]  # salt and nonce


def test_wrong_passphrase():
    sealed = bundle.seal(b"data", SECRET, **FAST)
    with pytest.raises(WrongPassphrase) as err:
        bundle.unseal(sealed, "violet tractor moonlighT")
    assert str(err.value) == "The passphrase is wrong, or the file was changed after it was sent."


def test_every_header_byte_is_authenticated():
    sealed = bundle.seal(b"data" * 100, SECRET, **FAST)
    for offset in range(bundle.HEADER_SIZE):
        changed = bytearray(sealed)
        changed[offset] ^= 0x01
        with pytest.raises(BundleError):
            bundle.unseal(bytes(changed), SECRET)


def test_altered_ciphertext():
    sealed = bytearray(bundle.seal(b"data" * 100, SECRET, **FAST))
    sealed[bundle.HEADER_SIZE + 10] ^= 0x80
    with pytest.raises(BundleError, match="changed or damaged after it was sealed"):
        bundle.unseal(bytes(sealed), SECRET)


@pytest.mark.parametrize("keep", [4, 6, 50, 70, 85, -1])
def test_truncated(keep):
    sealed = bundle.seal(b"data" * 100, SECRET, **FAST)
    with pytest.raises(BundleError, match="cut short"):
        bundle.unseal(sealed[:keep], SECRET)


def test_newer_format():
    sealed = bytearray(bundle.seal(b"data", SECRET, **FAST))
    sealed[4:6] = struct.pack(">H", 2)
    with pytest.raises(BundleError, match="newer version of dvcoord"):
        bundle.unseal(bytes(sealed), SECRET)


def test_not_a_bundle():
    with pytest.raises(BundleError, match="not an encrypted dvcoord bundle"):
        bundle.unseal(b"SQLite format 3\x00" + b"\x00" * 100, SECRET)


@pytest.mark.parametrize("n", [2**30, 3 * 1024, 1])
def test_hostile_key_settings_are_refused_before_any_work(n):
    sealed = bytearray(bundle.seal(b"data", SECRET, **FAST))
    sealed[6:10] = struct.pack(">I", n)
    with pytest.raises(BundleError, match="key settings"):
        bundle.unseal(bytes(sealed), SECRET)


def test_empty_and_short_passphrases():
    with pytest.raises(BundleError, match="passphrase is empty"):
        bundle.unseal(bundle.seal(b"x", SECRET, **FAST), "")
    with pytest.raises(BundleError, match="too short"):
        bundle.seal(b"x", "short")
    with pytest.raises(BundleError, match="passphrase is empty"):
        bundle.check_passphrase(None)


def test_passphrase_file_strips_exactly_one_newline(tmp_path):
    f = tmp_path / "pass.txt"
    f.write_bytes(b"two words  \n\n")
    assert bundle.read_passphrase_file(f) == "two words  \n"
    f.write_bytes(b"windows line\r\n")
    assert bundle.read_passphrase_file(f) == "windows line"
    f.write_bytes("\ufeffpass phrase ünï".encode())
    assert bundle.read_passphrase_file(f) == "pass phrase ünï"
    with pytest.raises(BundleError, match="no passphrase file"):
        bundle.read_passphrase_file(tmp_path / "missing.txt")


def test_obtain_passphrase_without_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(PassphraseNeeded, match="--passphrase-file"):
        bundle.obtain_passphrase(None)


def test_obtain_passphrase_prompts_twice_when_sealing(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    answers = iter(["first choice words", "second choice words"])
    monkeypatch.setattr("sys.stdin", Tty(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(BundleError, match="differ"):
        bundle.obtain_passphrase(None, confirm=True, for_encryption=True)
    answers = iter(["same words here", "same words here"])
    assert bundle.obtain_passphrase(None, confirm=True) == "same words here"


def test_files_and_the_passphrase_never_logged(tmp_path, caplog):
    src = tmp_path / "db.sqlite"
    src.write_bytes(b"SQLite format 3\x00" + b"\x01" * 5000)
    with caplog.at_level(logging.DEBUG, logger="dvcoord"):
        out = bundle.encrypt_file(src, tmp_path / "out.dvcx", SECRET, **FAST)
        dest = tmp_path / "plain.sqlite"
        bundle.decrypt_file(out, dest, SECRET)
    assert dest.read_bytes() == src.read_bytes()
    assert oct(dest.stat().st_mode & 0o777) == "0o600"
    assert SECRET not in caplog.text and "violet" not in caplog.text
    assert bundle.is_bundle(out) and not bundle.is_bundle(src)


def test_strength_hint():
    assert bundle.passphrase_strength("")[0] == 0
    assert bundle.passphrase_strength("abc")[0] == 0
    assert bundle.passphrase_strength("aaaaaaaaaaaa")[0] == 1
    assert bundle.passphrase_strength("tiger lamp")[0] <= 2
    assert bundle.passphrase_strength("purple tiger lamp river")[0] == 4
    assert "Too short" in bundle.passphrase_strength("abc")[1]
