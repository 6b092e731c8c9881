"""Shared copies: consistent, compact, without the audit trail, optionally encrypted."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from exchange_data import make_db, sha256
from sqlalchemy import select

from dvcoord.errors import DvcoordError
from dvcoord.exchange import bundle
from dvcoord.exchange.gate import check_incoming
from dvcoord.exchange.share import share_copy
from dvcoord.store import Database
from dvcoord.store.schema.plans import Action

FAST = {"n": 2**10, "r": 8, "p": 1}


@pytest.fixture
def source(tmp_path):
    return make_db(tmp_path / "mine.sqlite", user="Officer A", name="County")


def test_plain_copy_is_a_sound_dvcoord_file_and_the_source_is_untouched(source, tmp_path):
    before = sha256(source)
    out = share_copy(source, tmp_path / "copy.sqlite")
    assert sha256(source) == before
    with check_incoming(out) as checked:
        assert checked.row_counts["action"] == 6
    src_id = Database.open(source, backup=False).database_id
    assert Database.open(out, backup=False).database_id == src_id
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dvcoord")] == []


def test_deleted_words_do_not_travel(source, tmp_path):
    secret = "MARAC-SECRET-2026-999 Jane Example"
    db = Database.open(source, user="Officer A", backup=False)
    with db.transaction() as s:
        s.scalars(select(Action)).first().outcomes = secret
    with db.transaction() as s:
        s.scalars(select(Action)).first().outcomes = "corrected"
    db.close()
    assert secret.encode() in source.read_bytes()  # the audit trail holds it
    out = share_copy(source, tmp_path / "copy.sqlite")
    data = out.read_bytes()
    assert secret.encode() not in data
    conn = sqlite3.connect(out)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    conn.close()


def test_encrypted_copy(source, tmp_path):
    out = share_copy(
        source,
        tmp_path / "copy.dvcx",
        encrypt=True,
        passphrase="seven blue herons",
        scrypt_params=FAST,
    )
    data = out.read_bytes()
    assert data.startswith(b"DVCX") and b"SQLite format 3" not in data
    assert b"Kent Police" not in data
    with check_incoming(out, "seven blue herons") as checked:
        assert checked.encrypted and checked.row_counts["agency"] == 2


def test_refusals(source, tmp_path):
    with pytest.raises(DvcoordError, match="over the database itself"):
        share_copy(source, source)
    with pytest.raises(DvcoordError, match="does not exist"):
        share_copy(source, tmp_path / "no" / "such" / "copy.sqlite")
    with pytest.raises(DvcoordError, match="is a folder"):
        share_copy(source, tmp_path)
    with pytest.raises(bundle.BundleError, match="passphrase is empty"):
        share_copy(source, tmp_path / "x.dvcx", encrypt=True, passphrase="")
    with pytest.raises(DvcoordError, match="no file"):
        share_copy(tmp_path / "missing.sqlite", tmp_path / "x.sqlite")
    assert not (tmp_path / "x.dvcx").exists() and not (tmp_path / "x.sqlite").exists()


def test_an_existing_copy_is_replaced_whole(source, tmp_path):
    out = tmp_path / "copy.sqlite"
    out.write_bytes(b"old contents")
    share_copy(source, out)
    assert out.read_bytes().startswith(b"SQLite format 3\x00")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_plain_copy_is_readable_by_its_owner_only(tmp_path):
    src = tmp_path / "mine.sqlite"
    Database.create(src, user="A").close()
    out = share_copy(src, tmp_path / "to-send.sqlite")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
