"""File > Export Pack…: choose scope, as-of period, sections, formats and file; the pack is written in the background.

The dialog reads the choices it offers (programmes, departments, reporting periods) from the
office database, then hands the writers (``reports.exec_pack.write_exec_pack`` for the workbook,
``ui.pdf.write_pdf_pack`` for the PDF, both when both are ticked, under the same name) to
``run_in_background`` with the task's ``Progress`` so that the progress dialog moves and Cancel
stops the work (the file being written is not written then). When the pack is saved the user
may open it, or its folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...reports.exec_pack import SECTIONS, ExecPackError, write_exec_pack
from ...reports.pack_data import Scope, ScopeError, report_periods, scope_names
from ..context import AppContext
from ..dialogs.error_dialog import open_folder, show_error
from ..pdf import write_pdf_pack
from ..tasks import Progress, Task, run_in_background

FOLDER_KEY = "export/pack_folder"
FORMATS_KEY = "export/pack_formats"
FORMATS = (".xlsx", ".pdf")
_FORMAT_HINTS = {
    ".xlsx": "an Excel workbook with native charts, tables and print setup",
    ".pdf": "a PDF to read on screen or print (A4 landscape)",
}
_FORBIDDEN = '<>:"/\\|?*'


def open_file(path: Path) -> bool:
    """Open ``path`` in the program the system uses for it (Excel, LibreOffice…)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _safe_name(text: str) -> str:
    return "".join("-" if ch in _FORBIDDEN else ch for ch in text).strip(" .")


class _PartProgress:
    """One file's share of the progress bar when the dialog writes several files in one task."""

    def __init__(self, progress: Progress, index: int, count: int):
        self.progress, self.index, self.count = progress, index, count

    def report(self, done: int, total: int = 0, text: str | None = None) -> None:
        if total <= 0:
            self.progress.report(0, 0, text)
        else:
            self.progress.report(self.index * total + done, self.count * total, text)

    def check(self) -> None:
        self.progress.check()


class ExportPackDialog(QDialog):
    """Choose what goes in the executive pack and where it is saved; Export writes it in the background."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: dt.date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.today = today or dt.date.today()
        self.task: Task | None = None
        self.result_path: Path | None = None
        self.result_paths: list[Path] = []
        self.setWindowTitle("Export Executive Pack")
        self.setObjectName("export_pack_dialog")
        names, periods = ctx.read(scope_names), ctx.read(report_periods)
        self._build(names, periods)
        self._on_scope_changed()

    # -- building ---------------------------------------------------------------------------
    def _build(self, names: dict[str, list[str]], periods: list[dt.date]) -> None:
        layout = QVBoxLayout(self)

        scope_box = QGroupBox("Scope", self)
        grid = QGridLayout(scope_box)
        self.whole_radio = QRadioButton("&Whole portfolio", scope_box)
        self.whole_radio.setObjectName("whole_radio")
        self.programme_radio = QRadioButton("A &programme:", scope_box)
        self.programme_radio.setObjectName("programme_radio")
        self.department_radio = QRadioButton("A &department:", scope_box)
        self.department_radio.setObjectName("department_radio")
        self.programme_combo = QComboBox(scope_box)
        self.programme_combo.setObjectName("programme_combo")
        self.programme_combo.addItems(names.get("programme", []))
        self.department_combo = QComboBox(scope_box)
        self.department_combo.setObjectName("department_combo")
        self.department_combo.addItems(names.get("department", []))
        self.programme_radio.setEnabled(self.programme_combo.count() > 0)
        self.department_radio.setEnabled(self.department_combo.count() > 0)
        self._scope_group = QButtonGroup(self)
        for radio in (self.whole_radio, self.programme_radio, self.department_radio):
            self._scope_group.addButton(radio)
        self.whole_radio.setChecked(True)
        grid.addWidget(self.whole_radio, 0, 0, 1, 2)
        grid.addWidget(self.programme_radio, 1, 0)
        grid.addWidget(self.programme_combo, 1, 1)
        grid.addWidget(self.department_radio, 2, 0)
        grid.addWidget(self.department_combo, 2, 1)
        grid.setColumnStretch(1, 1)
        layout.addWidget(scope_box)

        form = QFormLayout()
        self.as_of_combo = QComboBox(self)
        self.as_of_combo.setObjectName("as_of_combo")
        # ISO text as item data: QVariant does not compare Python dates, so findData() could not find them.
        self.as_of_combo.addItem(f"Today ({self.today:%d %b %Y})", self.today.isoformat())
        for period in periods:
            if period <= self.today:
                self.as_of_combo.addItem(f"Period ending {period:%d %b %Y}", period.isoformat())
        self.as_of_combo.setToolTip("The figures are taken as they stood on this date")
        form.addRow("&As of:", self.as_of_combo)
        layout.addLayout(form)

        sections_box = QGroupBox("Sections", self)
        sections_grid = QGridLayout(sections_box)
        self.section_checks: dict[str, QCheckBox] = {}
        for i, name in enumerate(SECTIONS):
            check = QCheckBox(name, sections_box)
            check.setObjectName(f"section_{name.lower()}_check")
            check.setChecked(True)
            check.toggled.connect(self._update_buttons)
            self.section_checks[name] = check
            sections_grid.addWidget(check, i // 4, i % 4)
        layout.addWidget(sections_box)

        formats_row = QHBoxLayout()
        formats_row.addWidget(QLabel("Formats:", self))
        stored = QSettings().value(FORMATS_KEY, ".xlsx", str).split(",")
        self.xlsx_check = QCheckBox("Excel &workbook (.xlsx)", self)
        self.xlsx_check.setObjectName("xlsx_check")
        self.pdf_check = QCheckBox("P&DF (.pdf)", self)
        self.pdf_check.setObjectName("pdf_check")
        self.format_checks = {".xlsx": self.xlsx_check, ".pdf": self.pdf_check}
        for suffix, check in self.format_checks.items():
            check.setChecked(suffix in stored)
            check.toggled.connect(self._on_format_toggled)
            formats_row.addWidget(check)
        if not self.formats():
            self.xlsx_check.setChecked(True)
        formats_row.addStretch(1)
        layout.addLayout(formats_row)

        file_row = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("path_edit")
        self.path_edit.setMinimumWidth(380)
        self.path_edit.textChanged.connect(self._update_buttons)
        browse = QPushButton("&Browse…", self)
        browse.setObjectName("browse_button")
        browse.clicked.connect(self._on_browse_button_clicked)
        file_row.addWidget(QLabel("&File:", self))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        file_row.itemAt(0).widget().setBuddy(self.path_edit)
        layout.addLayout(file_row)

        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("hint_label")
        self.hint_label.setWordWrap(True)
        layout.addWidget(self.hint_label)
        self._show_format_hint()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("export_button")
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        for widget in (self.whole_radio, self.programme_radio, self.department_radio):
            widget.toggled.connect(self._on_scope_changed)
        self.programme_combo.currentTextChanged.connect(self._on_scope_changed)
        self.department_combo.currentTextChanged.connect(self._on_scope_changed)
        self.as_of_combo.currentIndexChanged.connect(self._on_scope_changed)

    # -- choices ------------------------------------------------------------------------------
    def scope(self) -> Scope:
        """The chosen scope: None, ("programme", name) or ("department", name)."""
        if self.programme_radio.isChecked() and self.programme_combo.currentText():
            return ("programme", self.programme_combo.currentText())
        if self.department_radio.isChecked() and self.department_combo.currentText():
            return ("department", self.department_combo.currentText())
        return None

    def as_of(self) -> dt.date:
        """The chosen as-of date (today when nothing is chosen)."""
        data = self.as_of_combo.currentData()
        return dt.date.fromisoformat(data) if data else self.today

    def sections(self) -> tuple[str, ...]:
        return tuple(name for name, check in self.section_checks.items() if check.isChecked())

    def formats(self) -> tuple[str, ...]:
        """The chosen file kinds, ".xlsx" and/or ".pdf"."""
        return tuple(suffix for suffix, check in self.format_checks.items() if check.isChecked())

    def paths(self) -> list[Path]:
        """One file per chosen format, all with the name typed (whatever its .xlsx or .pdf ending)."""
        text = self.path_edit.text().strip()
        if not text:
            return []
        path = Path(text).expanduser()
        if path.suffix.lower() in FORMATS:
            path = path.with_suffix("")
        return [path.with_name(path.name + suffix) for suffix in self.formats()]

    def path(self) -> Path | None:
        """The first file the export writes (the workbook when it is chosen)."""
        paths = self.paths()
        return paths[0] if paths else None

    def _folder(self) -> Path:
        stored = QSettings().value(FOLDER_KEY, "", str)
        if stored and Path(stored).is_dir():
            return Path(stored)
        return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or Path.home())

    def _suggested_name(self) -> str:
        scope = self.scope()
        what = "Portfolio" if scope is None else scope[1]
        return _safe_name(f"Executive pack {what} {self.as_of():%Y-%m-%d}") + (self.formats() or (".xlsx",))[0]

    def _on_scope_changed(self, *_args) -> None:
        """Follow the choices with the suggested file name, unless the user typed their own."""
        self.programme_combo.setEnabled(self.programme_radio.isChecked())
        self.department_combo.setEnabled(self.department_radio.isChecked())
        current = self.path()
        if current is None or self.path_edit.property("suggested") == self.path_edit.text():
            folder = current.parent if current is not None else self._folder()
            suggestion = str(folder / self._suggested_name())
            self.path_edit.setText(suggestion)
            self.path_edit.setProperty("suggested", suggestion)
        self._update_buttons()

    def _on_format_toggled(self, *_args) -> None:
        """Keep the typed name's ending in step with the formats, and say what will be written."""
        current = self.path()
        if current is not None:
            suggested = self.path_edit.property("suggested") == self.path_edit.text()
            self.path_edit.setText(str(current))
            if suggested:
                self.path_edit.setProperty("suggested", self.path_edit.text())
        self._show_format_hint()
        self._update_buttons()

    def _show_format_hint(self) -> None:
        hints = [_FORMAT_HINTS[suffix] for suffix in self.formats()]
        text = " and ".join(hints) if hints else "choose a format"
        self.hint_label.setText(text[0].upper() + text[1:] + ".")

    def _update_buttons(self, *_args) -> None:
        busy = self.task is not None and not self.task.is_finished
        self.export_button.setEnabled(not busy and bool(self.sections()) and self.path() is not None)

    def _on_browse_button_clicked(self) -> None:
        start = self.path() or (self._folder() / self._suggested_name())
        filters = "Excel workbook (*.xlsx);;PDF (*.pdf)" if start.suffix == ".xlsx" else \
            "PDF (*.pdf);;Excel workbook (*.xlsx)"
        name, _ = QFileDialog.getSaveFileName(self, "Save Executive Pack", str(start), filters)
        if name:
            self.path_edit.setText(name)

    # -- exporting ----------------------------------------------------------------------------
    def start_export(self) -> Task | None:
        """Write the pack in each chosen format on a worker thread (progress dialog with Cancel); returns the task."""
        paths = self.paths()
        if not paths or not self.sections():
            return None
        if not paths[0].parent.is_dir():
            QMessageBox.warning(self, "Export Executive Pack",
                                f"The folder {paths[0].parent} does not exist. Choose another place for the pack.")
            return None
        db, as_of, scope, sections = self.ctx.db, self.as_of(), self.scope(), self.sections()
        QSettings().setValue(FORMATS_KEY, ",".join(self.formats()))
        written: list[Path] = []
        self.result_paths = written

        def work(progress: Progress) -> list[Path]:
            for index, path in enumerate(paths):
                part = _PartProgress(progress, index, len(paths))
                writer = write_pdf_pack if path.suffix == ".pdf" else write_exec_pack
                written.append(writer(db, path, as_of=as_of, scope=scope, sections=sections, progress=part).path)
            return written

        self.hint_label.setText("Writing the executive pack…")
        self.task = run_in_background(work, on_done=self._on_done, on_error=self._on_failed,
                                      on_cancelled=self._on_cancelled, progress="Writing the executive pack…",
                                      parent=self)
        self._update_buttons()
        return self.task

    def _on_done(self, paths: list[Path]) -> None:
        self.result_path = paths[0]
        QSettings().setValue(FOLDER_KEY, str(paths[0].parent))
        self.hint_label.setText(f"Saved {' and '.join(p.name for p in paths)}.")
        self._update_buttons()
        self.accept()
        self.offer_to_open(*paths)

    def offer_to_open(self, path: Path, *more: Path) -> None:
        """Ask whether to open the pack (each file, when both formats were written) or its folder."""
        files = (path, *more)
        box = QMessageBox(QMessageBox.Icon.Information, "Executive pack saved",
                          "The executive pack was saved to\n" + "\n".join(map(str, files)),
                          QMessageBox.StandardButton.Close, self.parentWidget() or self)
        if more:
            buttons = {box.addButton(f"&Open {'PDF' if f.suffix == '.pdf' else 'Workbook'}",
                                     QMessageBox.ButtonRole.AcceptRole): f for f in files}
        else:
            buttons = {box.addButton("&Open Pack", QMessageBox.ButtonRole.AcceptRole): path}
        folder_button = box.addButton("Show in &Folder", QMessageBox.ButtonRole.ActionRole)
        box.setDefaultButton(next(iter(buttons)))
        box.exec()
        clicked = box.clickedButton()
        if clicked in buttons:
            open_file(buttons[clicked])
        elif clicked is folder_button:
            open_folder(path.parent)

    def _on_failed(self, exc: BaseException) -> None:
        self.hint_label.setText(self._not_written("The pack was not written."))
        self._update_buttons()
        if isinstance(exc, ScopeError | ExecPackError):
            QMessageBox.warning(self, "Executive pack not written", str(exc))
        else:
            show_error(self, exc, title="Executive pack not written")

    def _on_cancelled(self) -> None:
        self.hint_label.setText(self._not_written("Cancelled: nothing was written."))
        self._update_buttons()

    def _not_written(self, text: str) -> str:
        """``text``, or which file was saved before the next one stopped."""
        if not self.result_paths:
            return text
        return f"Only {', '.join(p.name for p in self.result_paths)} was saved; the rest was not written."


def export_pack(ctx: AppContext, parent: QWidget | None = None) -> ExportPackDialog:
    """File > Export Pack…: show the dialog (modeless while the pack is written)."""
    dialog = ExportPackDialog(ctx, parent)
    dialog.open()
    return dialog
