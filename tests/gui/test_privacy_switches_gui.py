"""The two privacy switches: "Include the full addresses" in File > Share a copy… and
"Show districts and addresses" in File > Export report…, both off by default."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from dvcoord.gui import exchange_dialogs as X
from dvcoord.gui.export_report import ExportReportDialog
from dvcoord.reports import registry
from dvcoord.services import sanctuary as S
from dvcoord.store.schema.plans import Agency

TODAY = date(2026, 11, 23)
ADDRESSES = {"SDC-SS-2026-001": "12 Acacia Avenue", "SDC-SS-2026-002": "Flat 3, 4 Mill Lane"}


@pytest.fixture
def addr_window(gui_app, db, qtbot, dialogs, monkeypatch):
    from dvcoord.gui.main_window import MainWindow
    from dvcoord.gui.settings import AppSettings

    with db.transaction() as s:
        S.set_address_enabled(s, True)
        agency = Agency(name="Kent Police")
        s.add(agency)
        s.flush()
        for n, (ref, address) in enumerate(ADDRESSES.items()):
            S.create_case(
                s,
                reference=ref,
                agency_id=agency.id,
                referral_date=date(2026, 10, 1 + n),
                postcode_district=("TN13", "BR8")[n],
                address=address,
                today=TODAY,
            )
    win = MainWindow(db, AppSettings())
    qtbot.addWidget(win)
    messages: list[str] = []
    monkeypatch.setattr(win.context, "show_message", lambda text, *a, **k: messages.append(text))
    win.messages = messages
    yield win
    win.context.db.close()


def _addresses(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT reference, address FROM sanctuary_case"))
    finally:
        conn.close()


def _share_dialog(win, qtbot) -> X.ShareDialog:
    dialog = X.ShareDialog(win.context, win)
    qtbot.addWidget(dialog)
    dialog.form.encryptCheck.setChecked(False)
    return dialog


# --------------------------------------------------------------------------- share
def test_share_leaves_addresses_out_by_default_and_says_how_many(addr_window, qtbot, tmp_path):
    dialog = _share_dialog(addr_window, qtbot)
    f = dialog.form
    assert not f.addressesCheck.isChecked()
    assert f.addressesCheck.isVisibleTo(dialog)
    assert "holds 2 full addresses" in f.addressesLabel.text()
    assert "left out" in f.addressesLabel.text()
    out = tmp_path / "copy.sqlite"
    f.outputEdit.setText(str(out))
    assert dialog.share()
    assert dialog.result.addresses_withheld == 2
    assert set(_addresses(out).values()) == {""}
    assert "2 full addresses of Sanctuary Scheme cases left out" in addr_window.messages[-1]


def test_share_includes_addresses_only_when_ticked_with_a_warning(addr_window, qtbot, tmp_path):
    dialog = _share_dialog(addr_window, qtbot)
    f = dialog.form
    f.addressesCheck.setChecked(True)
    warning = f.addressesLabel.text()
    assert warning.startswith("Warning:") and "find those homes" in warning
    assert "not encrypted" in warning
    f.encryptCheck.setChecked(True)
    assert "not encrypted" not in f.addressesLabel.text()
    f.encryptCheck.setChecked(False)
    f.addressesCheck.setChecked(False)
    assert "holds 2 full addresses" in f.addressesLabel.text()
    f.addressesCheck.setChecked(True)
    out = tmp_path / "with-addresses.sqlite"
    f.outputEdit.setText(str(out))
    assert dialog.share()
    assert dialog.result.addresses_included == 2
    assert _addresses(out) == ADDRESSES
    assert "included" in addr_window.messages[-1]


def test_share_without_addresses_hides_the_switch(window, qtbot):
    dialog = _share_dialog(window, qtbot)
    assert not dialog.form.addressesCheck.isVisibleTo(dialog)
    assert not dialog.form.addressesLabel.isVisibleTo(dialog)


# --------------------------------------------------------------------------- export
def _export_dialog(win, qtbot, kind: str) -> ExportReportDialog:
    dialog = ExportReportDialog(win.context, win, kind=kind, today=TODAY)
    qtbot.addWidget(dialog)
    return dialog


def _choose(dialog: ExportReportDialog, kind: str) -> None:
    combo = dialog.form.kindCombo
    pos = combo.findData(kind)
    assert pos >= 0, kind
    combo.setCurrentIndex(pos)


def test_locations_switch_follows_the_registry_and_is_off_by_default(addr_window, qtbot):
    dialog = _export_dialog(addr_window, qtbot, "sanctuary-cases")
    f = dialog.form
    offered = set()
    for name in registry.kinds():
        _choose(dialog, name)
        assert not f.locationsCheck.isChecked()
        assert not f.locationsWarning.isVisibleTo(dialog)
        if f.locationsCheck.isVisibleTo(dialog):
            offered.add(name)
    assert offered == {k.name for k in registry.kinds().values() if k.shows_locations}
    assert "sanctuary-cases" in offered

    _choose(dialog, "sanctuary-cases")
    f.markingCombo.setCurrentIndex(f.markingCombo.findData("NONE"))
    f.locationsCheck.setChecked(True)
    # locations print only under OFFICIAL-SENSITIVE: ticking the switch sets it
    assert f.markingCombo.currentData() == "OFFICIAL-SENSITIVE"
    assert f.locationsWarning.isVisibleTo(dialog)
    assert "identifying information" in f.locationsWarning.text()
    f.fileEdit.setText(str(Path.home() / "cases.pdf"))
    assert dialog.request().show_locations is True
    _choose(dialog, "sanctuary-spend")  # another kind: the switch goes off and away
    assert not f.locationsCheck.isChecked() and not f.locationsCheck.isVisibleTo(dialog)
    assert dialog.request().show_locations is False


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_exported_pdf_shows_districts_and_addresses_only_when_asked(
    addr_window, qtbot, dialogs, tmp_path
):
    plain = _export_dialog(addr_window, qtbot, "sanctuary-cases")
    plain.form.fileEdit.setText(str(tmp_path / "plain.pdf"))
    assert plain.export() is not None
    text = _pdf_text(tmp_path / "plain.pdf")
    assert "SDC-SS-2026-001" in text  # the cases are there
    for hidden in ("TN13", "BR8", "Acacia", "Mill Lane", "District", "Address"):
        assert hidden not in text
    assert "Locations are left out of this report" in text

    shown = _export_dialog(addr_window, qtbot, "sanctuary-cases")
    shown.form.fileEdit.setText(str(tmp_path / "shown.pdf"))
    shown.form.locationsCheck.setChecked(True)
    assert shown.export() is not None
    text = _pdf_text(tmp_path / "shown.pdf")
    for visible in ("TN13", "BR8", "Acacia", "Mill Lane"):
        assert visible in text
