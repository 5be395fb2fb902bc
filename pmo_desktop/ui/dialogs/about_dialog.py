"""Help > About: what the program is, its version, the open database and where the log is."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QWidget

from ... import APP_NAME, __version__
from ...logging_setup import log_file_path
from ..forms.ui_about_dialog import Ui_AboutDialog
from ..icons import app_icon


class AboutDialog(QDialog):
    """Version, database and log location, in one small window."""

    def __init__(self, database: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_AboutDialog()
        self.ui.setupUi(self)
        self.ui.icon_label.setPixmap(app_icon().pixmap(72, 72))
        self.ui.icon_label.setFixedSize(80, 80)
        self.ui.name_label.setText(APP_NAME)
        self.ui.version_label.setText(f"Version {__version__}")
        self.ui.database_label.setText(database)
        self.ui.log_label.setText(str(log_file_path()))
        self.ui.runtime_label.setText(
            f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {PySide6.__version__}"
        )
        self.setMinimumWidth(540)
        self.adjustSize()
