"""The escalations the office's rules call for: which items, from and to which level, and the rule that fired."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...services.escalation import Escalation

HEADERS = ("Ref", "Project", "From", "To", "Rule")


class EscalationsDialog(QDialog):
    """Lists the escalations due; "Escalate now" asks the tab to apply them (one undoable step)."""

    escalate_requested = Signal(list)

    def __init__(self, due: Sequence[Escalation], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("escalations_dialog")
        self.setWindowTitle("Escalations due")
        self.resize(760, 360)
        self.due = list(due)
        count = len(self.due)
        intro = QLabel(
            f"{count} open item{'s' if count != 1 else ''} meet{'s' if count == 1 else ''} an escalation rule "
            "from the office settings. Escalating raises the level only; it never lowers one set by hand.", self)
        intro.setWordWrap(True)
        self.table = QTableWidget(count, len(HEADERS), self)
        self.table.setObjectName("escalations_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for r, escalation in enumerate(self.due):
            values = (escalation.ref, escalation.project, escalation.from_level.capitalize(),
                      escalation.to_level.capitalize(), escalation.rule)
            for c, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(escalation.rule if c == 4 else value)
                self.table.setItem(r, c, cell)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.escalate_button = QPushButton("Escalate now", self)
        self.escalate_button.setObjectName("escalate_now_button")
        self.escalate_button.setToolTip("Raise these items to the level shown (Edit > Undo puts them back)")
        self.escalate_button.setEnabled(count > 0)
        self.escalate_button.setDefault(count > 0)
        buttons.addButton(self.escalate_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.escalate_button.clicked.connect(self._on_escalate)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _on_escalate(self) -> None:
        self.escalate_requested.emit(self.due)
        self.accept()
