"""The installed PySide6 must not drop references to None/True/False.

PySide6 6.12.0 (abi3 wheel) returns ``None`` from every void method and ``True`` from
``Signal.emit()`` without taking a reference; on Python 3.11, where those objects are
not immortal, the app aborts after a few hundred calls ("none_dealloc"/"bool_dealloc").
pyproject.toml excludes it; this test stops a future release with the same fault.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QProgressDialog

CALLS = 200


class _Sender(QObject):
    ping = Signal(int)


def _refs() -> tuple[int, int, int]:
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def test_calls_and_signals_keep_reference_counts(qapp):
    sender = _Sender()
    received: list[int] = []
    sender.ping.connect(received.append)
    label = QLabel()
    dialog = QProgressDialog("Working", "Cancel", 0, 10)

    def slot(value: int) -> None:
        pass

    before = _refs()
    for n in range(CALLS):
        sender.ping.emit(n)
        label.setText(str(n))
        dialog.setValue(n % 10)
        sender.setObjectName(f"s{n}")
        sender.ping.connect(slot)
        sender.ping.disconnect(slot)
    after = _refs()
    assert len(received) == CALLS
    lost = [b - a for a, b in zip(after, before, strict=True)]
    # a few references may come and go with caches; a fault loses one per call
    assert all(n < CALLS // 4 for n in lost), f"PySide6 lost references (None, True, False): {lost}"
