"""Showing who the work is recorded against, and making a missing name easy to fix.

Until the officer gives their name in File > Settings, dvcoord records changes and prints
reports under the operating-system login name ("jsmith01", "Administrator").  That is
never hidden: the status bar says so with a link to Settings, the Export report dialog
shows the name that will be printed with a button to Settings, and the Settings dialog
leaves "Your name" empty (the login name only as a hint) so that pressing OK cannot
save the login name by accident.  Nothing here blocks: no first-run dialog.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from dvcoord import users
from dvcoord.gui.settings import AppSettings

SETTINGS_LINK = "settings"
LOGIN_NOTE = "your login name"


def uses_login_name(settings: AppSettings, name: str) -> bool:
    """True when ``name`` is the login name standing in for a name never given."""
    return not settings.officer_name() and name == users.default_user()


def status_html(settings: AppSettings, name: str) -> str | None:
    """Rich text for the status bar when the name needs fixing; None when it does not."""
    link = f'<a href="{SETTINGS_LINK}">set your name in Settings</a>'
    if not name:
        return f"Officer: not set ({link})"
    if uses_login_name(settings, name):
        return f"Officer: {html.escape(name)} ({LOGIN_NOTE}; {link})"
    return None


def show_on_status(label: QLabel, settings: AppSettings, name: str) -> None:
    """Fill the status bar's officer label; its link (if any) opens Settings."""
    rich = status_html(settings, name)
    if rich is None:
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setText(f"Officer: {name}")
        label.setToolTip("Recorded against your changes and printed on reports")
        return
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.LinksAccessibleByMouse
        | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    )
    label.setText(rich)
    label.setToolTip(
        "Your changes are recorded, and reports printed, under this name until you give "
        "your own in File > Settings"
    )


def report_name_text(settings: AppSettings) -> tuple[str, bool]:
    """What the Export report dialog says will be printed, and whether it is the login
    name (so the dialog can urge a change)."""
    name = settings.officer_or_login()
    if not name:
        return "No name: the footer will say only when the report was made.", True
    if uses_login_name(settings, name):
        return f"{name} ({LOGIN_NOTE}: give your own in Settings)", True
    return name, False


def prepare_settings_name(edit, help_label: QLabel, settings: AppSettings) -> None:  # noqa: ANN001
    """The Settings dialog's "Your name": the saved name, or empty with the login name as
    a hint (so that OK never saves the login name unseen)."""
    saved = settings.officer_name()
    edit.setText(saved)
    edit.setPlaceholderText("Your full name, for example Sam Patel")
    if saved:
        return
    login = users.default_user()
    if login:
        help_label.setText(
            "Not set yet: your changes are recorded, and reports printed, under your login "
            f"name \u2018{login}\u2019. Enter your name as colleagues and the board know it. "
            "Kept on this computer only."
        )
    else:
        help_label.setText(
            "Not set yet: enter your name as colleagues and the board know it. It is "
            "recorded against every change you make and printed on reports. Kept on this "
            "computer only."
        )
