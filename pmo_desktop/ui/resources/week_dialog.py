"""One person's allocations in one week, opened from a heat-map cell, with quick fixes.

The list shows each allocation that gives the week hours, and what it gives. The actions are the
usual ones of an over-allocated week: change the hours, dates or project (the allocation dialog),
end the allocation before this week, or move it to someone with free time. Every change is one
undoable, audited write; in a directive PMO a change that over-allocates anyone is refused with
a plain message, elsewhere it is saved and the warning shown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...analytics import resources as an
from ...services import resources as svc
from ...services.errors import ConflictError, ServiceError, ValidationError
from ..context import AppContext
from ..models.row_table_model import Column, Kind, RowTableModel
from .allocation_dialog import AllocationDialog, describe_period
from .commands import refuses_over_allocation, undoable_allocation_update
from .heat_map import format_percent
from .person_panel import show_message_in
from .table_setup import setup_table

WEEK_COLUMNS = (
    Column("project", "Project", Kind.TEXT, 210),
    Column("start_date", "From", Kind.DATE, 92),
    Column("end_date", "To", Kind.DATE, 92),
    Column("hours_per_week", "Hours/week", Kind.NUMBER, 76, decimals=1),
    Column("week_hours", "This week", Kind.NUMBER, 72, "Hours this allocation gives the week", decimals=1),
)

#: Told which people's hours an edit is about to change (the heat map re-reads only those rows).
Touched = Callable[[set[int]], None]


class MoveDialog(QDialog):
    """Choose who takes over an allocation; each candidate shows their free hours that week."""

    def __init__(self, project: str, candidates: Sequence[tuple[int, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("move_allocation_dialog")
        self.setWindowTitle("Move allocation")
        self.person_combo = QComboBox(self)
        self.person_combo.setObjectName("move_person_combo")
        for person_id, label in candidates:
            self.person_combo.addItem(label, person_id)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Move")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Give the allocation to {project} to:", self))
        layout.addWidget(self.person_combo)
        layout.addWidget(buttons)

    def person_id(self) -> int | None:
        return self.person_combo.currentData()


class WeekAllocationsDialog(QDialog):
    """The allocations of ``person_id`` that give hours to the week starting ``monday``."""

    def __init__(self, ctx: AppContext, person_id: int, monday: dt.date, *,
                 figures: Callable[[], an.Utilisation | None] = lambda: None, touched: Touched | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("week_allocations_dialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx = ctx
        self.person_id = person_id
        self.monday = monday
        self._figures = figures
        self._touched = touched
        self._lines: list[svc.WeekAllocation] = []
        self._detail: svc.PersonDetail | None = None

        self.heading = QLabel(self)
        self.heading.setObjectName("week_heading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("week_message")
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        self.model = RowTableModel(WEEK_COLUMNS, self)
        self.table = QTableView(self)
        self.table.setObjectName("week_allocations_table")
        setup_table(self.table, self.model, sort_column=0, stretch_column=0)
        self.table.setMinimumHeight(120)

        self.edit_button = QPushButton("Change…", self)
        self.edit_button.setToolTip("Change the hours, the dates or the project of the selected allocation")
        self.edit_button.setObjectName("week_edit_button")
        self.shorten_button = QPushButton("End before this week", self)
        self.shorten_button.setObjectName("week_shorten_button")
        self.move_button = QPushButton("Move to…", self)
        self.move_button.setToolTip("Give the selected allocation to someone else, chosen by their free hours")
        self.move_button.setObjectName("week_move_button")
        close = QPushButton("Close", self)
        actions = QHBoxLayout()
        for button in (self.edit_button, self.shorten_button, self.move_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.message_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        self.resize(720, 300)

        self.edit_button.clicked.connect(self.edit_selected)
        self.shorten_button.clicked.connect(self.shorten_selected)
        self.move_button.clicked.connect(self._on_move_button_clicked)
        close.clicked.connect(self.close)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        ctx.data_changed.connect(self._on_ctx_data_changed)
        self.reload()

    # -- data ---------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the person and the week's allocations again, keeping the selected allocation."""
        selected = self.selected()
        try:
            self._detail = self.ctx.read(svc.get_person, self.person_id)
        except ServiceError:
            self._detail = None
            self.heading.setText("This person no longer exists.")
            self.model.set_rows([])
            self._update_buttons()
            return
        self._lines = self.ctx.read(svc.week_allocations, self.person_id, self.monday)
        self.model.set_rows(
            (a.line.id, f"{a.line.project_code} — {a.line.project_name}", a.line.start_date, a.line.end_date,
             a.line.hours_per_week, a.week_hours)
            for a in self._lines
        )
        self.setWindowTitle(f"{self._detail.name} — week of {svc.format_day(self.monday)}")
        self.heading.setText(self._heading())
        if selected is not None:
            self.select_allocation(selected.line.id)
        elif self._lines:
            self.table.selectRow(0)
        self._update_buttons()

    def _heading(self) -> str:
        assert self._detail is not None
        allocated = sum(a.week_hours for a in self._lines)
        figures = self._figures()
        row = figures.row(self.person_id) if figures is not None else None
        week = figures.mondays.index(self.monday) if figures is not None and self.monday in figures.mondays else None
        if row is not None and week is not None:
            available = row.available[week]
        else:
            available = self._detail.capacity_hours
        level = an.ratio(allocated, available)
        percent = f" · <b>{format_percent(level)}</b>" if level is not None else ""
        return (f"<b>{self._detail.name}</b> · week of {svc.format_day(self.monday)}<br>"
                f"{allocated:.1f} h allocated of {available:.1f} h available{percent}")

    def lines(self) -> list[svc.WeekAllocation]:
        return list(self._lines)

    def selected(self) -> svc.WeekAllocation | None:
        index = self.table.selectionModel().currentIndex() if self.table.selectionModel() else None
        if index is None or not index.isValid():
            return None
        row_id = self.model.row_id(index.row())
        return next((a for a in self._lines if a.line.id == row_id), None)

    def select_allocation(self, allocation_id: int) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_id(row) == allocation_id:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.edit_button.setEnabled(chosen is not None)
        self.move_button.setEnabled(chosen is not None)
        can_shorten = chosen is not None and chosen.line.start_date < self.monday
        self.shorten_button.setEnabled(can_shorten)
        self.shorten_button.setToolTip(
            f"End the allocation on {svc.format_day(self.monday - dt.timedelta(days=3))}, the Friday before"
            if can_shorten else "Only an allocation that started before this week can end before it")

    def show_message(self, text: str, kind: str = "info") -> None:
        show_message_in(self.message_label, text, kind)

    # -- actions ------------------------------------------------------------------------------
    def edit_selected(self) -> None:
        """The allocation dialog on the selected allocation: hours, dates, project."""
        chosen = self.selected()
        if chosen is None or self._detail is None:
            return
        projects = self.ctx.read(svc.project_choices)
        dialog = AllocationDialog(self.person_id, self._detail.name, self._detail.capacity_hours, projects,
                                  lambda data: self._submit(chosen, data, "Edit allocation", raise_invalid=True),
                                  initial=chosen.line, today=self.monday, parent=self)
        dialog.exec()

    def shorten_selected(self) -> bool:
        """End the selected allocation on the Friday before this week."""
        chosen = self.selected()
        if chosen is None or chosen.line.start_date >= self.monday:
            return False
        data = _input(chosen, end_date=self.monday - dt.timedelta(days=3))
        return self._submit(chosen, data, f"End allocation to {chosen.line.project_code} early")

    def move_selected_to(self, person_id: int) -> bool:
        """Give the selected allocation (same project, dates and hours) to ``person_id``."""
        chosen = self.selected()
        if chosen is None or person_id == self.person_id:
            return False
        return self._submit(chosen, _input(chosen, person_id=person_id),
                            f"Move allocation to {chosen.line.project_code}")

    def move_candidates(self) -> list[tuple[int, str]]:
        """Everyone else, most free hours in this week first, labelled with those hours."""
        figures = self._figures()
        people = self.ctx.read(svc.person_rows, self.monday)
        free: dict[int, float] = {}
        if figures is not None and figures.group == "person" and self.monday in figures.mondays:
            week = figures.mondays.index(self.monday)
            free = {row.key: row.available[week] - row.allocated[week] for row in figures.rows}
        candidates = []
        for person in people:
            if person.id == self.person_id or not person.active:
                continue
            hours = free.get(person.id)
            detail = f"{hours:.1f} h free that week" if hours is not None else f"{person.capacity_hours:g} h/week"
            role = f" · {person.role}" if person.role else ""
            candidates.append((hours if hours is not None else -1e9, person.name, person.id,
                               f"{person.name}{role} — {detail}"))
        candidates.sort(key=lambda c: (-c[0], c[1].lower()))
        return [(person_id, label) for _free, _name, person_id, label in candidates]

    def _submit(self, chosen: svc.WeekAllocation, data: svc.AllocationInput, text: str, *,
                raise_invalid: bool = False) -> bool:
        """Write ``data`` over the allocation (undoable); False, with the reason shown, when refused."""
        try:
            saved = undoable_allocation_update(
                self.ctx, text, chosen.line.id, data, chosen.line.version, old_person_id=self.person_id,
                refuse_over_allocation=refuses_over_allocation(self.ctx), touched=self._touched)
        except ValidationError as exc:
            if raise_invalid:
                raise  # the allocation dialog shows it next to its field
            self.show_message("Not changed: " + " ".join(e.message for e in exc.errors), "error")
            return False
        except ConflictError:
            self.reload()
            self.show_message("Someone else changed this allocation meanwhile; the list shows what is stored now. "
                              "Make your change again if it still applies.", "warning")
            return False
        except ServiceError as exc:
            self.reload()
            self.show_message(f"Not changed: {exc}", "error")
            return False
        moved = data.person_id != self.person_id
        done = (f"Moved to {self._name_of(data.person_id)}." if moved else "Saved.") + " Edit > Undo reverts it."
        if saved.warnings:
            self.show_message(f"{done} But: " + " ".join(saved.warnings), "warning")
        else:
            self.show_message(done, "info")
        return True

    def _name_of(self, person_id: int | None) -> str:
        if person_id is None:
            return "nobody"
        try:
            return self.ctx.read(svc.get_person, person_id).name
        except ServiceError:
            return "another person"

    # -- slots --------------------------------------------------------------------------------
    def _on_move_button_clicked(self) -> None:
        chosen = self.selected()
        candidates = self.move_candidates()
        if chosen is None or not candidates:
            if chosen is not None:
                self.show_message("There is nobody else to move the allocation to.", "warning")
            return
        dialog = MoveDialog(f"{chosen.line.project_code} ({describe_period(chosen.line.start_date, chosen.line.end_date)})",
                            candidates, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.person_id() is not None:
            self.move_selected_to(dialog.person_id())

    def _on_ctx_data_changed(self, entity: str) -> None:
        if entity in ("allocation", "person", "project", "absence", "*") and self.isVisible():
            self.reload()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        with contextlib.suppress(RuntimeError, TypeError):  # already disconnected
            self.ctx.data_changed.disconnect(self._on_ctx_data_changed)
        super().closeEvent(event)


def _input(chosen: svc.WeekAllocation, **changes) -> svc.AllocationInput:
    """The allocation's stored values as an input, with ``changes`` applied."""
    line = chosen.line
    values = {"person_id": chosen.person_id, "project_id": line.project_id, "start_date": line.start_date,
              "end_date": line.end_date, "hours_per_week": line.hours_per_week, "notes": line.notes}
    values.update(changes)
    return svc.AllocationInput(**values)
