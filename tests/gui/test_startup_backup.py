"""The on-open backup runs after the window is shown, off the UI thread."""

from __future__ import annotations

from dvcoord.gui.app import start_background_backup
from dvcoord.store import Database, backups


def test_background_backup_taken_for_a_changed_file(tmp_path):
    path = tmp_path / "office.sqlite"
    Database.create(path, user="A").close()
    assert backups.list_backups(path) == []
    thread = start_background_backup(path)
    thread.join(timeout=30)
    found = backups.list_backups(path)
    assert [b.reason for b in found] == ["on-open"]
    # Unchanged since that backup: no second copy.
    start_background_backup(path).join(timeout=30)
    assert len(backups.list_backups(path)) == 1


def test_background_backup_failure_is_logged_not_raised(tmp_path, caplog):
    missing = tmp_path / "gone.sqlite"
    thread = start_background_backup(missing)
    thread.join(timeout=30)
    assert "on-open backup failed" in caplog.text


def test_file_open_backs_up_in_the_background_after_switching(window, tmp_path, dialogs):
    other = tmp_path / "received.sqlite"
    Database.create(other, user="B").close()
    assert backups.list_backups(other) == []
    assert window.open_database(other)
    assert window.db.path == other  # switched without waiting for the copy
    assert window.open_backup_thread is not None
    window.open_backup_thread.join(timeout=30)
    assert [b.reason for b in backups.list_backups(other)] == ["on-open"]
