"""File > New Template: write the office's standard workbook for one kind of sheet.

A milestones or RAID template can start from a methodology of the standards library: its
standard milestones (dated across the baseline dates when given; a chosen project's own dates
by default) or its starter RAID items come pre-filled, on the chosen project's code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QWidget

from ...importer.fields import Kind, fields_for
from ...model.enums import RaidKind
from ...reports.templates import (
    STANDARD_KINDS,
    TEMPLATE_KINDS,
    TemplateLists,
    TemplateProject,
    header_label,
    template_lists,
    template_project,
    write_template,
)
from ...services import lookups
from ...services.errors import ValidationError
from ...services.standards import StandardInfo, milestone_dates, standards
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..forms.ui_import_template_dialog import Ui_ImportTemplateDialog
from ..tasks import run_in_background
from .labels import KIND_LABELS

FILE_NAMES = {
    "projects": "Project list template.xlsx", "status": "Status report template.xlsx",
    "raid": "RAID log template.xlsx", "milestones": "Milestones template.xlsx",
    "people": "People template.xlsx", "allocations": "Resource plan template.xlsx",
    "scores": "Strategic scores template.xlsx",
}


class TemplateDialog(QDialog):
    """Pick a kind and where to save; the template is written with the office's drop-down lists.

    For milestones and RAID, a methodology (and optionally a project and baseline dates) pre-fills
    the template from the standards library.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, folder: Path | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.ui = Ui_ImportTemplateDialog()
        self.ui.setupUi(self)
        self.written: Path | None = None
        self.writing = False
        self._folder = folder or Path(QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or Path.home())
        for kind in TEMPLATE_KINDS:
            self.ui.kind_combo.addItem(KIND_LABELS.get(kind, kind), kind)
        self._standards: dict[str, StandardInfo] = {s.methodology: s for s in ctx.read(standards)}
        self._project: TemplateProject | None = None
        self.ui.methodology_combo.addItem("None: a blank template", None)
        for standard in self._standards.values():
            self.ui.methodology_combo.addItem(standard.label, standard.methodology)
        self.ui.project_combo.addItem("")
        self.ui.project_combo.addItems(ctx.read(lookups.project_codes))
        self.ui.project_combo.lineEdit().setPlaceholderText("Optional: the project every row is for")
        self.ui.project_combo.setCurrentIndex(0)
        self.save_button = self.ui.button_box.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setProperty("primary", True)
        self.ui.kind_combo.currentIndexChanged.connect(self._on_kind_combo_current_index_changed)
        self.ui.methodology_combo.currentIndexChanged.connect(self._update_standard)
        self.ui.project_combo.currentTextChanged.connect(self._on_project_combo_current_text_changed)
        self.ui.start_date.dateChanged.connect(self._update_standard)
        self.ui.end_date.dateChanged.connect(self._update_standard)
        self.ui.path_edit.textChanged.connect(self._on_path_edit_text_changed)
        self.ui.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.ui.button_box.accepted.connect(self._on_button_box_accepted)
        self.ui.button_box.rejected.connect(self.reject)
        self._on_kind_combo_current_index_changed(0)

    @property
    def kind(self) -> str:
        return self.ui.kind_combo.currentData()

    @property
    def methodology(self) -> str | None:
        """The methodology the template is pre-filled from (None: a blank template, or a kind it cannot fill)."""
        return self.ui.methodology_combo.currentData() if self.kind in STANDARD_KINDS else None

    @property
    def project_code(self) -> str | None:
        return self.ui.project_combo.currentText().strip() or None

    def baseline_dates(self) -> tuple[dt.date | None, dt.date | None]:
        """The dates the milestones are laid out across (none for a RAID template)."""
        if self.kind != Kind.MILESTONES.value:
            return None, None
        return self.ui.start_date.value(), self.ui.end_date.value()

    def _on_kind_combo_current_index_changed(self, _index: int) -> None:
        specs = [spec for spec in fields_for(Kind(self.kind)) if spec.name != "task"]
        self.ui.fields_label.setText("Columns: " + ", ".join(header_label(spec) for spec in specs))
        current = Path(self.ui.path_edit.text()) if self.ui.path_edit.text() else None
        if current is None or current.name in FILE_NAMES.values():
            folder = current.parent if current is not None else self._folder
            self.ui.path_edit.setText(str(folder / FILE_NAMES[self.kind]))
        self.ui.standard_group.setVisible(self.kind in STANDARD_KINDS)
        self._update_standard()

    def _on_project_combo_current_text_changed(self, text: str) -> None:
        """A stored project brings its own baseline dates (the coordinator can still change them)."""
        previous = self._project
        self._project = self.ctx.read(template_project, text) if text.strip() else None
        dates = (self.ui.start_date.value(), self.ui.end_date.value())
        untouched = dates == (None, None) or (
            previous is not None and dates == (previous.baseline_start, previous.baseline_end))
        if untouched:
            new = self._project
            self.ui.start_date.set_value(new.baseline_start if new is not None else None)
            self.ui.end_date.set_value(new.baseline_end if new is not None else None)
        self._update_standard()

    def _update_standard(self, *_args) -> None:
        """Enable what the methodology needs and say what the template will start with."""
        self.ui.error_label.clear()
        standard = self._standards.get(self.methodology) if self.methodology else None
        is_milestones = self.kind == Kind.MILESTONES.value
        self.ui.project_combo.setEnabled(standard is not None)
        self.ui.standard_layout.setRowVisible(self.ui.dates_layout, is_milestones)
        for widget in (self.ui.start_date, self.ui.end_date):
            widget.setEnabled(standard is not None)
        hint = self._standard_hint(standard)
        if standard is not None and self.project_code and self._project is None:
            hint += (f" The office has no project {self.project_code} yet: import its project row first, or the "
                     "template's rows will be rejected.")
        self.ui.standard_hint_label.setText(hint)

    def _standard_hint(self, standard: StandardInfo | None) -> str:
        if not self._standards:
            return "The office's standards library is empty: add methodologies in File > Standards Library."
        if standard is None:
            return "Choose a methodology to start the template with its standard rows."
        if self.kind == Kind.RAID.value:
            kinds = ", ".join(RaidKind(item.kind).label.lower() for item in standard.starter_raid)
            return (f"Starts with the {len(standard.starter_raid)} starter RAID items of the {standard.label} "
                    f"standard ({kinds}).")
        start, end = self.baseline_dates()
        if start and end and end >= start:
            dated = milestone_dates(start, end, standard.milestones)
            first, last = dated[0][1], dated[-1][1]
            return (f"Starts with the {len(dated)} standard milestones of the {standard.label} standard, "
                    f"dated {first:%d %b %Y} to {last:%d %b %Y}.")
        return (f"Starts with the {len(standard.milestones)} standard milestones of the {standard.label} "
                "standard, undated: enter both baseline dates to date them.")

    def _on_path_edit_text_changed(self, text: str) -> None:
        self.ui.error_label.clear()
        self.save_button.setEnabled(bool(text.strip()))

    def _on_browse_button_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save Template As", self.ui.path_edit.text(),
                                              "Excel workbook (*.xlsx)")
        if name:
            self.ui.path_edit.setText(name)

    def target_path(self) -> Path:
        path = Path(self.ui.path_edit.text().strip()).expanduser()
        return path if path.suffix.lower() == ".xlsx" else path.with_name(path.name + ".xlsx")

    def _on_button_box_accepted(self) -> None:
        path = self.target_path()
        if not path.parent.is_dir():
            self.ui.error_label.setText(f"The folder {path.parent} does not exist; choose another with Browse.")
            return
        kind, methodology, project_code = self.kind, self.methodology, self.project_code
        start, end = self.baseline_dates()
        project = self.ctx.read(template_project, project_code) if methodology and project_code else None
        existing_raid = project.raid_items if project is not None else ()
        if project is not None:
            project_code = project.code
        lists = (self.ctx.read(template_lists) if self.ui.lists_check.isChecked()
                 else TemplateLists(standards=tuple(self._standards.values())))
        office = self.ctx.settings.office_name or "PMO"
        self.save_button.setEnabled(False)
        self.writing = True
        run_in_background(lambda: write_template(kind, path, lists=lists, methodology=methodology,
                                                 project_code=project_code if methodology else None,
                                                 baseline_start=start if methodology else None,
                                                 baseline_end=end if methodology else None,
                                                 existing_raid=existing_raid, office_name=office),
                          on_done=self._on_written, on_error=self._on_write_failed,
                          progress="Writing the template…", parent=self)

    def reject(self) -> None:
        """Cancel, unless the template is being written (it takes a moment; then the dialog closes)."""
        if not self.writing:
            super().reject()

    def _on_written(self, path: Path) -> None:
        self.writing = False
        self.written = path
        self.accept()

    def _on_write_failed(self, exc: BaseException) -> None:
        self.writing = False
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.ui.error_label.setText(" ".join(error.message for error in exc.errors))
            return
        if isinstance(exc, OSError):
            self.ui.error_label.setText(f"The template could not be saved to {self.target_path()}: "
                                        f"{exc.strerror or exc}. Close it in Excel or choose another name.")
            return
        show_error(self, exc, title="Template not written")
