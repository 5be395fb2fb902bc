"""The standards library editor: each methodology's description, standard milestones and starter RAID items.

On the left, the methodologies; on the right, the selected one's standard: milestones with their
position on the project's timeline (0% = baseline start, 100% = baseline end) and the RAID items
every new project of the methodology opens with. Save stores the whole standard in one audited,
version-checked transaction (``services.standards.save_standard``), undoable with Edit > Undo; a bad
row is named in red and nothing is written. The stage gates and each methodology's criteria at them are edited in the
Stage Gates dialog.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...model.enums import Methodology, RaidKind
from ...services import standards as st
from ...services.errors import ConflictError, ServiceError, ValidationError
from ..context import AppContext
from . import office_commands
from .error_dialog import show_error
from .record_editor import RecordEditorDialog, error_label

MILESTONE_NAME, MILESTONE_POSITION = range(2)
RAID_KIND, RAID_TITLE, RAID_CATEGORY = range(3)


def parse_position(text: str) -> float:
    """ "45%", "45" or "45.5" as a fraction (0.45); anything else as NaN, which the service refuses by row."""
    try:
        return float(text.strip().rstrip("%").strip()) / 100
    except ValueError:
        return math.nan


def position_text(position: float) -> str:
    return f"{position * 100:g}%"


class StandardsDialog(RecordEditorDialog):
    """Edits the office's methodology standards, one methodology at a time."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("standards_dialog")
        self.setWindowTitle("Standards Library")
        self._ctx = ctx
        self.standards: dict[str, st.StandardInfo] = {}
        self.current: str | None = None

        self.methodology_list = QListWidget(self)
        self.methodology_list.setObjectName("methodology_list")
        self.methodology_list.setFixedWidth(150)
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setObjectName("description_edit")
        self.description_edit.setPlaceholderText("How projects of this methodology are run")
        self.description_edit.setFixedHeight(54)
        self.milestone_table = self._table("milestone_table", ("Milestone", "Position"), (0, 90))
        self.milestone_table.horizontalHeaderItem(MILESTONE_POSITION).setToolTip(
            "Where the milestone falls on the baseline timeline: 0% is the start, 100% the end")
        self.raid_table = self._table("starter_raid_table", ("Kind", "Title", "Category"), (120, 0, 130))
        self.add_milestone_button = self._button("add_milestone_button", "Add milestone")
        self.remove_milestone_button = self._button("remove_milestone_button", "Remove")
        self.add_raid_button = self._button("add_raid_button", "Add RAID item")
        self.remove_raid_button = self._button("remove_raid_button", "Remove")
        self.error_label = error_label(self, "standards_errors")
        self._add_buttons()
        self._lay_out()

        self.methodology_list.currentRowChanged.connect(self._on_methodology_list_current_row_changed)
        self.description_edit.textChanged.connect(self._mark_dirty)
        self.milestone_table.itemChanged.connect(self._mark_dirty)
        self.raid_table.itemChanged.connect(self._mark_dirty)
        self.add_milestone_button.clicked.connect(lambda: self.add_milestone("", 0.5, edit=True))
        self.remove_milestone_button.clicked.connect(lambda: self._remove_row(self.milestone_table))
        self.add_raid_button.clicked.connect(lambda: self.add_raid_item(RaidKind.RISK.value, "", None, edit=True))
        self.remove_raid_button.clicked.connect(lambda: self._remove_row(self.raid_table))
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(lambda: self.show_standard(self.current))
        self.buttons.rejected.connect(self.reject)
        self.reload()
        self.resize(900, 700)

    # -- building ------------------------------------------------------------------------------
    def _table(self, name: str, headers: tuple[str, ...], widths: tuple[int, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(headers)
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = table.horizontalHeader()
        for column, width in enumerate(widths):
            if width:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
                table.setColumnWidth(column, width)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        return table

    def _group(self, title: str, table: QTableWidget, add: QPushButton, remove: QPushButton) -> QGroupBox:
        box = QGroupBox(title, self)
        layout = QVBoxLayout(box)
        layout.addWidget(table, 1)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    def _lay_out(self) -> None:
        right = QVBoxLayout()
        right.addWidget(QLabel("Description:", self))
        right.addWidget(self.description_edit)
        right.addWidget(self._group("Standard milestones (position on the baseline timeline: 0% start, 100% end)",
                                    self.milestone_table, self.add_milestone_button, self.remove_milestone_button), 3)
        right.addWidget(self._group("Starter RAID items (raised on every new project, owned by its manager)",
                                    self.raid_table, self.add_raid_button, self.remove_raid_button), 2)
        stages = QLabel("Each methodology's criteria at the stage gates: File > Stage Gates…", self)
        stages.setStyleSheet("color: gray")
        right.addWidget(stages)
        right.addWidget(self.error_label)
        columns = QHBoxLayout()
        columns.addWidget(self.methodology_list)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.buttons)

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the library again and show the methodology shown before (the first one at the start)."""
        self.standards = {s.methodology: s for s in self._ctx.read(st.standards)}
        keep = self.current
        self._loading = True
        self.methodology_list.clear()
        for methodology in Methodology:
            standard = self.standards.get(methodology.value)
            item = QListWidgetItem(methodology.label)
            item.setData(Qt.ItemDataRole.UserRole, methodology.value)
            if standard is None:
                item.setToolTip("No standard yet: save one to use it for new projects")
            self.methodology_list.addItem(item)
        self._loading = False
        values = [m.value for m in Methodology]
        self.methodology_list.setCurrentRow(values.index(keep) if keep in values else 0)
        self.show_standard(self.methodology_list.currentItem().data(Qt.ItemDataRole.UserRole))

    def show_standard(self, methodology: str | None) -> None:
        """Fill the editors with the stored standard of ``methodology``."""
        self.current = methodology
        standard = self.standards.get(methodology or "")
        self._loading = True
        self.description_edit.setPlainText(standard.description or "" if standard else "")
        self.milestone_table.setRowCount(0)
        self.raid_table.setRowCount(0)
        for milestone in standard.milestones if standard else ():
            self.add_milestone(milestone.name, milestone.position)
        for item in standard.starter_raid if standard else ():
            self.add_raid_item(item.kind, item.title, item.category)
        self._loading = False
        self._set_dirty(False)
        self.error_label.hide()

    def add_milestone(self, name: str, position: float, *, edit: bool = False) -> int:
        """Add a milestone row (and start editing its name when ``edit``); returns the row."""
        table = self.milestone_table
        row = table.rowCount()
        table.insertRow(row)
        table.setItem(row, MILESTONE_NAME, QTableWidgetItem(name))
        position_item = QTableWidgetItem(position_text(position))
        position_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, MILESTONE_POSITION, position_item)
        self._after_add(table, row, MILESTONE_NAME, edit)
        return row

    def add_raid_item(self, kind: str, title: str, category: str | None, *, edit: bool = False) -> int:
        """Add a starter RAID row (and start editing its title when ``edit``); returns the row."""
        table = self.raid_table
        row = table.rowCount()
        table.insertRow(row)
        combo = QComboBox(table)
        for member in RaidKind:
            combo.addItem(member.label, member.value)
        combo.setCurrentIndex(max(combo.findData(kind), 0))
        combo.currentIndexChanged.connect(self._mark_dirty)
        table.setCellWidget(row, RAID_KIND, combo)
        table.setItem(row, RAID_TITLE, QTableWidgetItem(title))
        table.setItem(row, RAID_CATEGORY, QTableWidgetItem(category or ""))
        self._after_add(table, row, RAID_TITLE, edit)
        return row

    def _after_add(self, table: QTableWidget, row: int, column: int, edit: bool) -> None:
        self._mark_dirty()
        if edit:
            table.setCurrentCell(row, column)
            table.editItem(table.item(row, column))

    def _remove_row(self, table: QTableWidget) -> None:
        row = table.currentRow()
        if row >= 0:
            table.removeRow(row)
            self._mark_dirty()

    # -- values --------------------------------------------------------------------------------
    def milestones(self) -> list[st.MilestoneSpec]:
        table = self.milestone_table
        return [st.MilestoneSpec(table.item(r, MILESTONE_NAME).text(),
                                 parse_position(table.item(r, MILESTONE_POSITION).text()))
                for r in range(table.rowCount())]

    def starter_raid(self) -> list[st.RaidStarter]:
        table = self.raid_table
        return [st.RaidStarter(table.cellWidget(r, RAID_KIND).currentData(), table.item(r, RAID_TITLE).text(),
                               table.item(r, RAID_CATEGORY).text() or None)
                for r in range(table.rowCount())]

    # -- saving --------------------------------------------------------------------------------
    def save(self) -> bool:
        """Store the shown standard; True when saved (errors shown in red, conflicts reloaded)."""
        if self.current is None:
            return False
        standard = self.standards.get(self.current)
        try:
            saved = office_commands.save_standard(
                self._ctx, self.current, self.description_edit.toPlainText(), self.milestones(),
                self.starter_raid(), standard.version if standard else None)
        except ValidationError as exc:
            self.error_label.setText("\n".join(e.message for e in exc.errors))
            self.error_label.show()
            return False
        except ConflictError:
            QMessageBox.warning(self, "Standards Library",
                                f"Someone else saved the {st.methodology_label(self.current)} standard since you "
                                "opened it. Their version is shown now; make your changes again.")
            self.reload()
            return False
        except ServiceError as exc:
            show_error(self, exc)
            return False
        self.standards[saved.methodology] = saved
        self.show_standard(saved.methodology)
        return True

    def _discard_question(self) -> str:
        return f"Discard your changes to the {st.methodology_label(self.current or '')} standard?"

    def _on_methodology_list_current_row_changed(self, row: int) -> None:
        if self._loading or row < 0:
            return
        methodology = self.methodology_list.item(row).data(Qt.ItemDataRole.UserRole)
        if methodology == self.current:
            return
        values = [m.value for m in Methodology]
        current_row = values.index(self.current) if self.current in values else -1
        self._switch_record(self.methodology_list, current_row, lambda: self.show_standard(methodology))
