"""The import wizard: files -> tables and columns -> the plan -> done (with undo).

Reading, planning and applying run in the background (``ui.tasks``) with progress and Cancel,
so the window never freezes; the wizard's pages share one ``ImportSession``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtWidgets import QWidget, QWizard

from ...importer.session import ApplyResult, ImportSession
from ...services.mappings import SavedMappings
from ..context import AppContext
from .done_page import DonePage
from .files_page import FilesPage
from .mapping_page import MappingPage
from .plan_page import PlanPage

DEFAULT_SIZE = (1100, 740)


class ImportWizard(QWizard):
    """Import spreadsheets into the office database, checking everything before it is written."""

    FILES, MAPPING, PLAN, DONE = range(4)

    def __init__(self, ctx: AppContext, paths: Iterable[str | Path] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("import_wizard")
        self.setWindowTitle("Import Spreadsheets")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.session = ImportSession(ctx.db, mappings=SavedMappings(ctx.db))
        self.files_page = FilesPage(self.session, self)
        self.mapping_page = MappingPage(self.session, self)
        self.plan_page = PlanPage(ctx, self.session, self._on_applied, self)
        self.done_page = DonePage(ctx, self.session, self)
        for page_id, page in ((self.FILES, self.files_page), (self.MAPPING, self.mapping_page),
                              (self.PLAN, self.plan_page), (self.DONE, self.done_page)):
            page.setObjectName(f"{type(page).__name__[:-4].lower()}_page")
            self.setPage(page_id, page)
        self.resize(*DEFAULT_SIZE)
        paths = list(paths)
        if paths:
            self.files_page.add_paths(paths)

    def _on_applied(self, result: ApplyResult) -> None:
        self.done_page.show_result(result)

    def reject(self) -> None:
        """Cancel: stop reading or checking; an import (or undo) being written finishes and is shown first."""
        if self.plan_page.applying or self.done_page.undoing:
            return
        self.files_page.abandon()
        self.plan_page.abandon()
        super().reject()
