"""The "New Project from Methodology" dialog: a project started with its methodology's standards.

The coordinator picks a methodology and gives the code, name, manager, programme and baseline
dates; the preview beside the form shows the standard milestones laid out across those dates and
the starter RAID items the project will open with. Create adds everything in one audited
transaction (``services.standards.create_project_from_standard``) as one undoable step; a bad
field gets its message in red under it and the dialog stays open.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...model.enums import RaidKind
from ...services import portfolio
from ...services import standards as st
from ...services.errors import ServiceError, ValidationError
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..dialogs.record_editor import error_label
from ..portfolio.editors import OptionalDateEdit
from ..undo import run_undoable

FIELDS = ("methodology", "code", "name", "manager", "programme", "baseline_start", "baseline_end")
_KIND_LABELS = {k.value: k.label for k in RaidKind}


def preview_html(standard: st.StandardInfo | None, start: dt.date | None, end: dt.date | None) -> str:
    """The milestones (dated when both baseline dates are given) and starter RAID items of ``standard``."""
    if standard is None:
        return "<p style='color:gray'>Choose a methodology to see what the project starts with.</p>"
    parts = [f"<h3 style='margin-bottom:2px'>{html.escape(standard.label)}</h3>"]
    if standard.description:
        parts.append(f"<p style='color:gray; margin-top:0'>{html.escape(standard.description)}</p>")
    parts.append("<p><b>Milestones</b></p><table cellspacing='0' cellpadding='2'>")
    dated = st.milestone_dates(start, end, standard.milestones) if start and end and end >= start else None
    for index, milestone in enumerate(standard.milestones):
        when = f"{dated[index][1]:%d %b %Y}" if dated else f"at {milestone.position:.0%}"
        parts.append(f"<tr><td style='color:gray'>{when}&nbsp;&nbsp;</td><td>{html.escape(milestone.name)}</td></tr>")
    parts.append("</table>")
    if not dated and standard.milestones:
        parts.append("<p style='color:gray'>Enter both baseline dates to see the milestones' dates.</p>")
    parts.append("<p><b>Starter RAID items</b></p><ul style='margin-left:-20px'>")
    for item in standard.starter_raid:
        category = f" <span style='color:gray'>({html.escape(item.category)})</span>" if item.category else ""
        parts.append(f"<li>{_KIND_LABELS.get(item.kind, item.kind)}: {html.escape(item.title)}{category}</li>")
    parts.append("</ul>")
    return "".join(parts)


class NewProjectDialog(QDialog):
    """Creates a project from a methodology's standard; ``created`` holds the result after Create."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(parent)
        self.setObjectName("new_project_dialog")
        self.setWindowTitle("New Project from Methodology")
        self._ctx = ctx
        self._today = today
        self.created: st.CreatedProject | None = None
        self.standards = {s.methodology: s for s in ctx.read(st.standards)}

        self.methodology_combo = QComboBox(self)
        self.methodology_combo.setObjectName("methodology_combo")
        for standard in self.standards.values():
            self.methodology_combo.addItem(standard.label, standard.methodology)
        self.code_edit = self._line("code_edit", "e.g. DCX-031")
        self.name_edit = self._line("name_edit", "What the project is called")
        self.manager_edit = self._line("manager_edit", "The project manager")
        self.programme_combo = QComboBox(self)
        self.programme_combo.setObjectName("programme_combo")
        self.programme_combo.setEditable(True)
        self.programme_combo.addItem("")
        self.programme_combo.addItems(ctx.read(portfolio.programme_names))
        self.programme_combo.lineEdit().setPlaceholderText("None, or type a new programme")
        self.start_date = OptionalDateEdit(self)
        self.start_date.setObjectName("baseline_start_date")
        self.end_date = OptionalDateEdit(self)
        self.end_date.setObjectName("baseline_end_date")
        self.errors = {key: self._error_label(key) for key in FIELDS}
        self.preview = QTextBrowser(self)
        self.preview.setObjectName("standard_preview")
        self.preview.setMinimumWidth(340)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.create_button = self.buttons.addButton("&Create Project", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("create_project_button")
        self.create_button.setDefault(True)
        self._lay_out()

        self.methodology_combo.currentIndexChanged.connect(self._update_preview)
        self.start_date.dateChanged.connect(self._update_preview)
        self.end_date.dateChanged.connect(self._update_preview)
        self.buttons.accepted.connect(self.create)
        self.buttons.rejected.connect(self.reject)
        self._update_preview()
        self.resize(780, 480)

    # -- building ------------------------------------------------------------------------------
    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _error_label(self, key: str) -> QLabel:
        return error_label(self, f"{key}_error")

    def _lay_out(self) -> None:
        form = QFormLayout()
        rows = (("&Methodology:", self.methodology_combo, "methodology"), ("C&ode:", self.code_edit, "code"),
                ("&Name:", self.name_edit, "name"), ("Ma&nager:", self.manager_edit, "manager"),
                ("&Programme:", self.programme_combo, "programme"),
                ("Baseline &start:", self.start_date, "baseline_start"),
                ("Baseline &end:", self.end_date, "baseline_end"))
        for text, editor, key in rows:
            label = QLabel(text, self)
            label.setBuddy(editor)
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(editor)
            box.addWidget(self.errors[key])
            form.addRow(label, box)
        intro = QLabel("The project starts at the Idea stage with its methodology's standard milestones, laid "
                       "out across the baseline dates, and its starter RAID items, owned by the manager.", self)
        intro.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(intro)
        left.addLayout(form)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addWidget(self.preview, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.buttons)

    # -- values ----------------------------------------------------------------------------------
    def new_project(self) -> st.NewProject:
        """The project as entered."""
        return st.NewProject(
            code=self.code_edit.text(), name=self.name_edit.text(), manager=self.manager_edit.text() or None,
            baseline_start=self.start_date.value(), baseline_end=self.end_date.value(),
            methodology=self.methodology_combo.currentData() or "",
            programme=self.programme_combo.currentText().strip() or None)

    def _update_preview(self, *_args) -> None:
        standard = self.standards.get(self.methodology_combo.currentData())
        self.preview.setHtml(preview_html(standard, self.start_date.value(), self.end_date.value()))

    def show_errors(self, error: ValidationError | None) -> None:
        """Each message in red under its field (none: every message cleared)."""
        for key, label in self.errors.items():
            message = error.for_field(key) if error is not None else None
            label.setText(message or "")
            label.setVisible(bool(message))

    # -- creating --------------------------------------------------------------------------------
    def create(self) -> st.CreatedProject | None:
        """Create the project (one undoable step); keep the dialog open with messages when a field is wrong."""
        new = self.new_project()
        today = self._today()
        try:
            created = run_undoable(
                self._ctx, f"Create project {new.code.strip()} from {st.methodology_label(new.methodology)}",
                lambda session: st.create_project_from_standard(session, new, today=today),
                st.remove_created_project, entity="*")
        except ValidationError as exc:
            self.show_errors(exc)
            return None
        except ServiceError as exc:
            show_error(self, exc)
            return None
        self.show_errors(None)
        self.created = created
        self.accept()
        return created
