"""The one way to load a Qt Designer form: ``load_ui("settings", parent)``.

Forms live in ``ui/<name>.ui`` (found through :func:`dvcoord.paths.ui_dir`, so the same
call works from a checkout, an installed wheel and the PyInstaller bundle).  Make the
form's top-level widget a plain ``QWidget``; :func:`load_ui` puts it inside ``parent``
(in a margin-less layout when ``parent`` has none) and copies the form's window title to
a parent that has none.  Child widgets are attributes of the returned widget
(``form.partnershipEdit``), named as in Designer.
"""

from __future__ import annotations

from PySide6.QtCore import QDir, QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QVBoxLayout, QWidget

from dvcoord import paths


class FormNotFound(RuntimeError):
    """A form is missing from the installation (a packaging fault, not a user error)."""


def ui_path(name: str):
    file = paths.ui_dir() / (name if name.endswith(".ui") else f"{name}.ui")
    if not file.is_file():
        raise FormNotFound(f"dvcoord's form '{file.name}' is missing from {file.parent}.")
    return file


def load_ui(name: str, parent: QWidget | None = None) -> QWidget:
    """Load ``ui/<name>.ui`` and return its top-level widget, placed inside ``parent``."""
    path = ui_path(name)
    device = QFile(str(path))
    if not device.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FormNotFound(f"dvcoord cannot read its form '{path}': {device.errorString()}")
    try:
        loader = QUiLoader()
        loader.setWorkingDirectory(QDir(str(paths.ui_dir())))
        widget = loader.load(device, parent)
    finally:
        device.close()
    if widget is None:
        raise FormNotFound(
            f"dvcoord's form '{path.name}' could not be read: {loader.errorString()}"
        )
    if parent is not None:
        if parent.layout() is None:
            layout = QVBoxLayout(parent)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(widget)
        if not parent.windowTitle() and widget.windowTitle():
            parent.setWindowTitle(widget.windowTitle())
    return widget
