"""The main window: tabs, menus, toolbar and status bar (actions live in ``actions``)."""

from .main_window import MainWindow

__all__ = ["MainWindow"]
