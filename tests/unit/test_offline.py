"""The suite itself proves dvcoord opens no network connection: the guard in
conftest.py fails any test that tries.  These tests prove the guard is live."""

from __future__ import annotations

import socket

import pytest

from _netguard import NETWORK_ATTEMPTS, NetworkBlocked


def test_guard_blocks_tcp_connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlocked):
            s.connect(("192.0.2.1", 80))
    finally:
        s.close()
        NETWORK_ATTEMPTS.clear()


def test_guard_blocks_name_lookup():
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("example.org", 443)
    NETWORK_ATTEMPTS.clear()


def test_whole_app_paths_run_offline(demo_path, tmp_path):
    """Open a database, back it up and check it: no socket is touched."""
    from dvcoord.services.check import check_database
    from dvcoord.store import Database, backups

    with Database.open(demo_path, user="x") as db:
        assert db.display_name
    backups.take_backup(demo_path, reason="test")
    assert check_database(demo_path).sound
    assert NETWORK_ATTEMPTS == []
