"""File > New Template: write the office's standard workbook for one kind of sheet."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QWidget

from ...importer.fields import Kind, fields_for
from ...reports.templates import TEMPLATE_KINDS, TemplateLists, header_label, template_lists, write_template
from ..context import AppContext
from ..dialogs.error_dialog import show_error
from ..forms.ui_import_template_dialog import Ui_ImportTemplateDialog
from ..tasks import run_in_background
from .labels import KIND_LABELS

FILE_NAMES = {
    "projects": "Project list template.xlsx", "status": "Status report template.xlsx",
    "raid": "RAID log template.xlsx", "milestones": "Milestones template.xlsx",
    "people": "People template.xlsx", "allocations": "Resource plan template.xlsx",
}


class TemplateDialog(QDialog):
    """Pick a kind and where to save; the template is written with the office's drop-down lists."""

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
        self.save_button = self.ui.button_box.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setProperty("primary", True)
        self.ui.kind_combo.currentIndexChanged.connect(self._on_kind_combo_current_index_changed)
        self.ui.path_edit.textChanged.connect(self._on_path_edit_text_changed)
        self.ui.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.ui.button_box.accepted.connect(self._on_button_box_accepted)
        self.ui.button_box.rejected.connect(self.reject)
        self._on_kind_combo_current_index_changed(0)

    @property
    def kind(self) -> str:
        return self.ui.kind_combo.currentData()

    def _on_kind_combo_current_index_changed(self, _index: int) -> None:
        specs = [spec for spec in fields_for(Kind(self.kind)) if spec.name != "task"]
        self.ui.fields_label.setText("Columns: " + ", ".join(header_label(spec) for spec in specs))
        current = Path(self.ui.path_edit.text()) if self.ui.path_edit.text() else None
        if current is None or current.name in FILE_NAMES.values():
            folder = current.parent if current is not None else self._folder
            self.ui.path_edit.setText(str(folder / FILE_NAMES[self.kind]))

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
        kind = self.kind
        lists = self.ctx.read(template_lists) if self.ui.lists_check.isChecked() else TemplateLists()
        office = self.ctx.settings.office_name or "PMO"
        self.save_button.setEnabled(False)
        self.writing = True
        run_in_background(lambda: write_template(kind, path, lists=lists, office_name=office),
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
        if isinstance(exc, OSError):
            self.ui.error_label.setText(f"The template could not be saved to {self.target_path()}: "
                                        f"{exc.strerror or exc}. Close it in Excel or choose another name.")
            return
        show_error(self, exc, title="Template not written")
