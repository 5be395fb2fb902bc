"""Cross-project patterns beside the heat map: what recurs in the open risks of several projects, and where.

A pattern's projects are put in the tree when it is first expanded: at 20,000 items the patterns
name some 11,000 projects in all, which took a few hundred milliseconds of the GUI thread to build
as tree items at every refresh, mostly for patterns nobody opens.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ...analytics.risks import Pattern

PROJECT_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_WORDS = {"name": "Name", "theme": "Theme", "category": "Category", "owner": "Owner"}


class PatternsPanel(QWidget):
    """A tree of patterns, each with its projects; clicking a project emits ``project_clicked(code)``."""

    project_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = QLabel("Cross-project patterns", self)
        self.heading.setObjectName("patterns_heading")
        self.heading.setStyleSheet("font-weight: 600;")
        self.hint = QLabel(self)
        self.hint.setObjectName("patterns_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("patterns_tree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Pattern", "What", "Projects"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.patterns: list[Pattern] = []
        self._names: dict[str, str] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addWidget(self.hint)
        layout.addWidget(self.tree, 1)
        self.tree.itemExpanded.connect(self._fill_projects)
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.set_patterns([], min_projects=3)

    def set_patterns(self, patterns: Sequence[Pattern], *, min_projects: int,
                     project_names: dict[str, str] | None = None) -> None:
        """List ``patterns`` (kept in their order), each expandable to its projects."""
        self.patterns = list(patterns)
        self.tree.setEnabled(True)
        self._names = project_names or {}
        self.hint.setText(
            f"Suppliers, themes, categories and owners in the open risks of {min_projects} or more projects."
            " Click a project to filter the register to it."
            if patterns else f"Nothing recurs in the open risks of {min_projects} or more projects."
        )
        expanded = {self._key(self.tree.topLevelItem(i)) for i in range(self.tree.topLevelItemCount())
                    if self.tree.topLevelItem(i).isExpanded()}
        self.tree.clear()
        for pattern in patterns:
            top = QTreeWidgetItem([_pattern_text(pattern), KIND_WORDS[pattern.kind], f"{len(pattern.projects)}"])
            top.setToolTip(0, pattern.description)
            top.setData(0, Qt.ItemDataRole.UserRole, (pattern.kind, pattern.label))
            top.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if pattern.kind == "name":
                font = top.font(0)
                font.setBold(True)
                top.setFont(0, font)
            top.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
            self.tree.addTopLevelItem(top)
            top.setExpanded((pattern.kind, pattern.label) in expanded)

    def _fill_projects(self, top: QTreeWidgetItem) -> None:
        """Put the projects of the pattern ``top`` under it, once (when it is first expanded)."""
        position = self.tree.indexOfTopLevelItem(top)
        if position < 0 or top.childCount():
            return
        names = self._names
        children = []
        for code in self.patterns[position].projects:
            child = QTreeWidgetItem([f"{code} — {names[code]}" if code in names else code, "", ""])
            child.setData(0, PROJECT_ROLE, code)
            child.setToolTip(0, f"Show {code}'s items in the register")
            children.append(child)
        top.addChildren(children)
        top.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.DontShowIndicatorWhenChildless)

    def set_loading(self, loading: bool) -> None:
        """Say that the patterns are being read (the current list stays until the new one arrives)."""
        if loading:
            self.hint.setText("Looking for patterns across projects…")
        self.tree.setEnabled(not loading or self.tree.topLevelItemCount() > 0)

    def show_problem(self, message: str) -> None:
        """The patterns could not be read: say so instead of showing a stale list."""
        self.tree.clear()
        self.hint.setText(message)

    @staticmethod
    def _key(item: QTreeWidgetItem) -> tuple[str, str]:
        return item.data(0, Qt.ItemDataRole.UserRole)

    def project_item(self, label: str, code: str) -> QTreeWidgetItem | None:
        """The row of project ``code`` under the pattern ``label`` (tests and keyboard users)."""
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if self._key(top)[1] == label:
                self._fill_projects(top)
                for j in range(top.childCount()):
                    if top.child(j).data(0, PROJECT_ROLE) == code:
                        return top.child(j)
        return None

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        # Enter on a project (a double click on a pattern already expands it).
        code = item.data(0, PROJECT_ROLE)
        if code:
            self.project_clicked.emit(code)

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        code = item.data(0, PROJECT_ROLE)
        if code:
            self.project_clicked.emit(code)
        else:
            item.setExpanded(not item.isExpanded())


def _pattern_text(pattern: Pattern) -> str:
    """A name as it is written; a theme by the risk it recurs in (two words alone read oddly)."""
    if pattern.kind == "theme" and pattern.example:
        return pattern.example
    return pattern.label
