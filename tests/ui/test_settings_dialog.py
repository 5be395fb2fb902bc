"""Office settings dialog: edits are stored and audited, bad thresholds are refused inline, conflicts asked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pmo_desktop.model import AuditEvent, OfficeSettings
from pmo_desktop.services.errors import ConflictError
from pmo_desktop.services.settings import read_settings, update_settings
from pmo_desktop.ui.dialogs.conflict_dialog import ConflictChoice, ConflictDialog
from pmo_desktop.ui.dialogs.settings_dialog import SettingsDialog


@pytest.fixture
def dialog(qtbot, ctx):
    dlg = SettingsDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _stored(ctx) -> OfficeSettings:
    with ctx.db.session() as session:
        return session.get(OfficeSettings, 1)


def _settings_updates(ctx) -> list[AuditEvent]:
    with ctx.db.session() as session:
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "office_settings", AuditEvent.action == "update")))


def test_shows_what_is_stored(dialog):
    ui = dialog.ui
    assert ui.office_name_edit.text() == "Project Management Office"
    assert ui.pmo_type_combo.currentData() == "controlling"
    assert ui.fiscal_month_combo.currentText() == "April"
    assert ui.currency_combo.currentText() == "GBP"
    assert ui.rag_amber_spin.value() == pytest.approx(0.95)
    assert dialog.save_button.isEnabled()
    assert dialog.error_text() == ""


def test_an_edit_is_saved_audited_and_announced(dialog, ctx, qtbot):
    dialog.ui.currency_combo.setCurrentText("EUR")
    dialog.ui.cadence_combo.setCurrentIndex(dialog.ui.cadence_combo.findData("weekly"))
    dialog.ui.slip_red_spin.setValue(60)

    with qtbot.waitSignal(ctx.settings_changed):
        dialog.save_button.click()

    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    stored = _stored(ctx)
    assert (stored.currency, stored.reporting_cadence, stored.slip_red_days) == ("EUR", "weekly", 60)
    [event] = _settings_updates(ctx)
    assert event.changes == {"currency": ["GBP", "EUR"], "reporting_cadence": ["monthly", "weekly"],
                             "slip_red_days": [45, 60]}
    assert event.actor == ctx.db.actor and event.source == "ui"
    assert ctx.settings.currency == "EUR"  # the cached settings were reloaded


def test_a_red_threshold_below_amber_is_refused_inline_and_nothing_is_saved(dialog, ctx):
    dialog.ui.risk_amber_spin.setValue(12)
    dialog.ui.risk_red_spin.setValue(10)

    assert "red risk score (10) must be at least the amber score (12)" in dialog.error_text()
    assert dialog.ui.risk_error_label.isVisible()
    assert dialog.ui.risk_red_spin.property("invalid") is True
    assert not dialog.save_button.isEnabled()
    assert dialog.save() is False
    assert _stored(ctx).risk_red_score == 15
    assert _settings_updates(ctx) == []

    dialog.ui.risk_red_spin.setValue(16)  # corrected: the message goes, Save comes back
    assert dialog.error_text() == ""
    assert dialog.save_button.isEnabled()


def test_rag_indices_in_the_wrong_order_are_explained(dialog):
    dialog.ui.rag_amber_spin.setValue(0.80)
    assert "must be at or below the amber index" in dialog.ui.rag_error_label.text()


def test_an_unknown_currency_code_is_refused(dialog):
    dialog.ui.currency_combo.setCurrentText("EU")
    assert "three-letter ISO currency code" in dialog.ui.office_error_label.text()


def test_restore_defaults_fills_the_form_without_saving(dialog, ctx):
    dialog.ui.slip_amber_spin.setValue(30)
    dialog.ui.office_name_edit.setText("Transformation Office")
    dialog.restore_defaults()
    assert dialog.ui.slip_amber_spin.value() == 14
    assert dialog.ui.office_name_edit.text() == "Project Management Office"
    assert _settings_updates(ctx) == []


def _someone_else_saves(ctx, **changes) -> None:
    with ctx.db.transaction() as session:
        update_settings(session, changes, read_settings(session).version)


def test_a_conflicting_save_asks_and_keep_mine_saves_over_theirs(dialog, ctx, monkeypatch):
    _someone_else_saves(ctx, currency="USD")
    asked: list[ConflictError] = []
    monkeypatch.setattr(ConflictDialog, "ask", staticmethod(
        lambda conflict, *a, **k: asked.append(conflict) or ConflictChoice.KEEP_MINE))

    dialog.ui.currency_combo.setCurrentText("EUR")
    assert dialog.save() is True

    assert asked[0].mine == {"currency": "EUR"} and asked[0].theirs == {"currency": "USD"}
    assert _stored(ctx).currency == "EUR"


def test_take_theirs_shows_the_stored_values_and_saves_nothing(dialog, ctx, monkeypatch):
    _someone_else_saves(ctx, currency="USD")
    monkeypatch.setattr(ConflictDialog, "ask", staticmethod(lambda *a, **k: ConflictChoice.TAKE_THEIRS))

    dialog.ui.currency_combo.setCurrentText("EUR")
    assert dialog.save() is False
    assert dialog.ui.currency_combo.currentText() == "USD"
    assert _stored(ctx).currency == "USD"


def test_the_conflict_dialog_shows_yours_and_theirs_and_returns_the_choice(qtbot):
    conflict = ConflictError("project", 7, mine={"name": "Payroll upgrade", "budget": "120000.00"},
                             theirs={"name": "Payroll replacement", "budget": "120000.00"})
    dialog = ConflictDialog(conflict, labels={"name": "Project name"})
    qtbot.addWidget(dialog)

    assert dialog.rows() == [("Project name", "Payroll upgrade", "Payroll replacement"),
                             ("Budget", "120000.00", "120000.00")]
    assert "changed by someone else" in dialog.ui.heading_label.text()
    for button, choice in ((dialog.ui.keep_mine_button, ConflictChoice.KEEP_MINE),
                           (dialog.ui.take_theirs_button, ConflictChoice.TAKE_THEIRS),
                           (dialog.ui.cancel_button, ConflictChoice.CANCEL)):
        button.click()
        assert dialog.choice is choice


def test_the_conflict_dialog_says_when_the_record_was_deleted(qtbot):
    dialog = ConflictDialog(ConflictError("raid_item", 3, mine={"title": "Supplier delay"}, deleted=True))
    qtbot.addWidget(dialog)
    assert dialog.ui.heading_label.text() == "This raid item was deleted"
    assert dialog.rows() == [("Title", "Supplier delay", "(deleted)")]


def test_the_main_window_opens_the_dialog_from_file_settings(qtbot, ctx, monkeypatch):
    from pmo_desktop.ui.main_window import MainWindow

    opened = []
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: opened.append(self) or 0)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.main_actions.settings.trigger()
    assert len(opened) == 1
