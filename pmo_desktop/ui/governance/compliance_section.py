"""The Governance tab's "Compliance" section: exceptions to the office's rules, and reminders for managers.

A strip at the top counts the exceptions per rule (click one to show only that rule) and gives the
reporting compliance rate of the recent periods. Below it, a filterable table of exceptions and,
beside it, the selected exception in full with what clears it. "Copy reminders" puts, per manager,
the reports, RAID actions and gate conditions they owe on the clipboard, ready for an email;
"Reminders…" shows the same text with Copy and "Save workbook…".

The section reads the database the first time it is shown, not when built, and afterwards
whenever data or settings change while it is on screen (or when next shown, if they changed
while it was hidden).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...analytics import governance as compliance
from ...analytics.governance import (
    RULE_ORDER,
    RULE_TITLES,
    ComplianceException,
    ComplianceSummary,
    ReportingRate,
)
from ..context import AppContext
from ..theme import RAG_COLOURS
from ..widgets.filter_bar import FilterBar
from .compliance_table_model import COL_MANAGER, COL_RULE, RULE_COLOURS, ComplianceTableModel, model_rows
from .reminders_dialog import RemindersDialog
from .section import LazySection
from .tables import record_table

CHIP_COLUMNS = 5
DETAIL_WIDTH = 330

_CHIP_STYLE = """
QToolButton { padding: 4px 10px; border: 1px solid palette(mid); border-radius: 5px; background: palette(base);
              text-align: left; }
QToolButton:hover:!checked { background: rgba(47, 111, 189, 0.10); }
QToolButton:checked { background: #2f6fbd; color: #ffffff; border-color: #275d9f; }
QToolButton:disabled { color: palette(mid); }
QToolButton[empty="true"]:!checked { color: palette(mid); }
"""


def rate_colour(rate: float) -> str:
    """Green from 90% of reports received, amber from 75%, red below."""
    return RAG_COLOURS["G"] if rate >= 0.9 else RAG_COLOURS["A"] if rate >= 0.75 else RAG_COLOURS["R"]


def reporting_html(rates: tuple[ReportingRate, ...] | list[ReportingRate]) -> str:
    """One line: each recent period's share of expected status reports received, coloured."""
    if not rates:
        return ""
    parts = []
    for rate in rates:
        if rate.rate is None:
            parts.append(f"{html.escape(rate.label)} <span style='color:gray'>none expected</span>")
            continue
        parts.append(
            f"{html.escape(rate.label)} <b style='color:{rate_colour(rate.rate)}'>{rate.rate:.0%}</b>"
            f" <span style='color:gray'>({rate.received}/{rate.expected})</span>")
    return "<b>Reporting compliance</b> (reports received / expected): " + " &nbsp;·&nbsp; ".join(parts)


def detail_html(e: ComplianceException) -> str:
    """The selected exception in full: project, rule, manager, since, what happened and what clears it."""
    project = f"{e.project_code} — {e.project_name}" if e.project_code else e.project_name
    since = e.since.strftime("%d %b %Y") if e.since else "not known"
    colour = RULE_COLOURS.get(e.rule, "#2f6fbd")
    return (
        f"<h3 style='margin-bottom:2px'>{html.escape(project)}</h3>"
        f"<p style='margin-top:0'><span style='color:{colour}'>■</span> <b>{html.escape(e.title)}</b></p>"
        f"<table cellspacing='0' cellpadding='2'>"
        f"<tr><td style='color:gray'>Manager&nbsp;</td><td>{html.escape(e.manager_label)}</td></tr>"
        f"<tr><td style='color:gray'>Since&nbsp;</td><td>{since}</td></tr></table>"
        f"<p><b>What happened</b><br>{html.escape(e.detail)}</p>"
        f"<p><b>What clears it</b><br>{html.escape(e.remedy)}</p>"
    )


class ComplianceSection(LazySection):
    """Compliance exceptions with counts by rule, reporting rates, a detail box and reminders.

    ``project_requested(project_id)`` is emitted on double-click or Enter on an exception of a
    project, for a window that can show the project elsewhere; the detail box shows it here.
    """

    project_requested = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(ctx, parent)
        self.setObjectName("compliance_section")
        self._today = today
        self.exceptions: list[ComplianceException] = []
        self.summary: ComplianceSummary | None = None

        self.model = ComplianceTableModel(self)
        self.table = self._make_table()
        self.filter_bar = FilterBar(self.model, "exceptions", self)
        self.filter_bar.setObjectName("compliance_filter_bar")
        self.rule_filter = self.filter_bar.add_choice(COL_RULE, "Rules", list(RULE_ORDER), RULE_TITLES)
        self.manager_filter = self.filter_bar.add_choice(COL_MANAGER, "Managers")
        self.copy_button = QPushButton("Copy reminders", self)
        self.copy_button.setObjectName("copy_reminders_button")
        self.copy_button.setProperty("primary", True)
        self.copy_button.setToolTip("Copy, per manager, the missing status reports, overdue RAID actions and unmet "
                                    "gate conditions in the table, as plain text for an email")
        self.reminders_button = QPushButton("Reminders…", self)
        self.reminders_button.setObjectName("reminders_button")
        self.reminders_button.setToolTip("Show, per manager, what they owe among the exceptions in the table, to "
                                         "copy or save as a workbook")
        self.copy_status = QLabel(self)
        self.copy_status.setObjectName("copy_reminders_status")
        self.chips_box, self.chips = self._make_chips()
        self.reporting_label = QLabel(self)
        self.reporting_label.setObjectName("reporting_rates")
        self.reporting_label.setTextFormat(Qt.TextFormat.RichText)
        self.reporting_label.setWordWrap(True)
        self.detail = QTextBrowser(self)
        self.detail.setObjectName("compliance_detail")
        self.detail.setOpenLinks(False)
        self._lay_out()

        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.activated.connect(self._on_table_activated)
        self.filter_bar.filters_changed.connect(self._sync_chips)
        self.copy_button.clicked.connect(self.copy_reminders)
        self.reminders_button.clicked.connect(self.open_reminders)

    # -- building ------------------------------------------------------------------------------
    def _make_table(self) -> QTableView:
        return record_table(self, self.model, "compliance_table", sort_column=COL_RULE,
                            sort_order=Qt.SortOrder.AscendingOrder, stretch_last=True)

    def _make_chips(self) -> tuple[QWidget, dict[str | None, QToolButton]]:
        box = QWidget(self)
        box.setObjectName("rule_chips")
        box.setStyleSheet(_CHIP_STYLE)
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(6)
        group = QButtonGroup(box)
        group.setExclusive(True)
        chips: dict[str | None, QToolButton] = {}
        for position, rule in enumerate((None, *RULE_ORDER)):
            chip = QToolButton(box)
            chip.setObjectName(f"chip_{rule or 'all'}")
            chip.setCheckable(True)
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            chip.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            chip.setToolTip("Show every exception" if rule is None else f"Show only: {RULE_TITLES[rule]}")
            chip.clicked.connect(lambda _checked=False, r=rule: self.show_rule(r))
            group.addButton(chip)
            grid.addWidget(chip, position // CHIP_COLUMNS, position % CHIP_COLUMNS)
            chips[rule] = chip
        for column in range(CHIP_COLUMNS):
            grid.setColumnStretch(column, 1)
            grid.setColumnMinimumWidth(column, 200)
        chips[None].setChecked(True)
        return box, chips

    def _lay_out(self) -> None:
        heading = QLabel("<b>Exceptions by rule</b>", self)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.copy_status)
        top.addWidget(self.reminders_button)
        top.addWidget(self.copy_button)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("compliance_splitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        self.detail.setMinimumWidth(260)
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.chips_box)
        layout.addWidget(self.reporting_label)
        layout.addWidget(self.filter_bar)
        layout.addWidget(splitter, 1)

    # -- loading -------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        if not self._loaded:
            self.splitter.setSizes([max(self.width() - DETAIL_WIDTH, 400), DETAIL_WIDTH])
        super().showEvent(event)

    def refresh(self) -> None:
        """Run the rules again (keeping filters, sort and the selected exception where it still is)."""
        today = self._today()
        settings = self._ctx.settings
        selected = self.selected_exception()

        def read(session):
            found = compliance.compliance_exceptions(session, today, settings)
            return found, compliance.compliance_summary(session, today, settings, found)

        self.exceptions, self.summary = self._ctx.read(read)
        self._mark_loaded()
        self.model.set_rows(model_rows(self.exceptions))
        self.filter_bar.refresh_choices()
        self.filter_bar.update_count()
        self._update_strip()
        self._sync_chips()
        self.copy_status.clear()
        self._reselect(selected)

    def _update_strip(self) -> None:
        summary = self.summary
        counts = summary.by_rule if summary else {}
        self.chips[None].setText(f"All exceptions:  {summary.total if summary else 0}")
        for rule in RULE_ORDER:
            chip = self.chips[rule]
            enabled = rule in counts
            chip.setEnabled(enabled)
            chip.setText(f"{RULE_TITLES[rule]}:  {counts[rule]}" if enabled else f"{RULE_TITLES[rule]}:  off")
            chip.setToolTip(f"Show only: {RULE_TITLES[rule]}" if enabled
                            else f"{RULE_TITLES[rule]}: switched off in the office settings")
            chip.setProperty("empty", not counts.get(rule))
            chip.style().unpolish(chip)
            chip.style().polish(chip)
        self.reporting_label.setText(reporting_html(summary.reporting if summary else ()))

    # -- filtering -----------------------------------------------------------------------------
    def show_rule(self, rule: str | None) -> None:
        """Show only the exceptions of ``rule`` (None: every rule), as the chips and the rule filter do."""
        self.filter_bar.set_choice(COL_RULE, rule)

    def show_manager(self, manager: str | None) -> None:
        """Show only the exceptions of ``manager`` (None: every manager)."""
        self.filter_bar.set_choice(COL_MANAGER, manager)

    def show_only(self, *, rule: str | None = None, manager: str | None = None) -> None:
        """Clear every filter, then show only ``rule``'s or ``manager``'s exceptions (the health charts' clicks)."""
        self.filter_bar.clear()
        if rule is not None:
            self.show_rule(rule)
        if manager is not None:
            self.show_manager(manager)

    def _sync_chips(self) -> None:
        current = self.rule_filter.currentData()
        chip = self.chips.get(current if current in RULE_TITLES else None)
        if chip is not None and not chip.isChecked():
            chip.setChecked(True)

    # -- selection and detail --------------------------------------------------------------------
    def selected_exception(self) -> ComplianceException | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        position = self.model.row_id(rows[0].row())
        return self.exceptions[position] if position is not None and position < len(self.exceptions) else None

    def _reselect(self, previous: ComplianceException | None) -> None:
        if previous is None or previous not in self.exceptions:
            self.table.clearSelection()
            self._show_detail(None)
            return
        row = self.model.view_row_of(self.exceptions.index(previous))
        if row is None:
            self._show_detail(None)
            return
        self.table.selectRow(row)

    def _on_table_selection_changed(self, _selected, _deselected) -> None:
        self._show_detail(self.selected_exception())

    def _on_table_activated(self, index: QModelIndex) -> None:
        position = self.model.row_id(index.row())
        if position is None:
            return
        exception = self.exceptions[position]
        self._show_detail(exception)
        if exception.project_id is not None:
            self.project_requested.emit(exception.project_id)

    def _show_detail(self, exception: ComplianceException | None) -> None:
        if exception is None:
            shown = self.model.rowCount()
            self.detail.setHtml(
                "<p style='color:gray'>Select an exception to see it in full and what clears it.</p>"
                if shown else "<p style='color:gray'>No exceptions to show.</p>")
            return
        self.detail.setHtml(detail_html(exception))

    # -- reminders -----------------------------------------------------------------------------
    def visible_exceptions(self) -> list[ComplianceException]:
        """The exceptions the table shows now, in its order (filters and sort applied)."""
        return [self.exceptions[row[0]] for row in self.model.visible_rows()]

    def open_reminders(self) -> RemindersDialog:
        """Open the reminders dialog for the exceptions the table shows now."""
        dialog = RemindersDialog(self.visible_exceptions(), self._today(), self)
        dialog.open()
        return dialog

    def copy_reminders(self) -> str:
        """Put the reminders for the exceptions shown on the clipboard; return the text copied."""
        shown = self.visible_exceptions()
        reminders = compliance.manager_reminders(shown, self._today())
        if not reminders:
            self.copy_status.setText("Nothing to remind: no missing reports, overdue actions or gate "
                                     "conditions in the table")
            return ""
        text = compliance.reminders_text(shown, self._today())
        QGuiApplication.clipboard().setText(text)
        managers = len(reminders)
        self.copy_status.setText(
            f"Reminders for {managers} manager{'s' if managers != 1 else ''} copied to the clipboard")
        return text
