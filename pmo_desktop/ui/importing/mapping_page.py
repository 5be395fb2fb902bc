"""Wizard page 2: which tables to import, what each holds, and where each of its columns goes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...importer.fields import Kind
from ...importer.session import ColumnChoice, ImportSession, TableChoice
from .column_mapping import (
    MAP_FIELD,
    MAP_HEADER,
    MAP_MATCH,
    MAP_SAMPLES,
    ColumnMappingModel,
    setup_mapping_view,
)
from .labels import BADGE_STYLE, KIND_LABELS, kind_label

TABLE_INCLUDE, TABLE_FILE, TABLE_SHEET, TABLE_KIND, TABLE_ROWS, TABLE_COLUMNS, TABLE_MAPPING = range(7)
MATRIX_KIND_TIP = ("A scoring matrix (one column per strategic criterion) holds strategic scores only; "
                   "untick it to leave it out")


class _QuietComboBox(QComboBox):
    """A combo in a table cell: the mouse wheel scrolls the table unless the combo has focus."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


def _item(text: str, tooltip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tooltip:
        item.setToolTip(tooltip)
    return item


class MappingPage(QWizardPage):
    """Tick the tables to import, choose what each holds, and check where each column goes."""

    def __init__(self, session: ImportSession, parent=None):
        super().__init__(parent)
        self.session = session
        self.setTitle("Check the tables and their columns")
        self.setSubTitle("Tick the tables to import and say what each one holds. Select a table to see where "
                         "each of its columns goes; columns that will not be imported are highlighted.")

        self.tables_table = QTableWidget(0, 7, self)
        self.tables_table.setObjectName("tables_table")
        self.tables_table.setHorizontalHeaderLabels(["Import", "File", "Sheet", "Holds", "Rows", "Columns", "Mapping"])
        self._setup_table(self.tables_table)
        header = self.tables_table.horizontalHeader()
        header.setSectionResizeMode(TABLE_FILE, QHeaderView.ResizeMode.Stretch)
        for column, width in ((TABLE_INCLUDE, 64), (TABLE_SHEET, 150), (TABLE_KIND, 190), (TABLE_ROWS, 70),
                              (TABLE_COLUMNS, 140), (TABLE_MAPPING, 150)):
            self.tables_table.setColumnWidth(column, width)
        self.tables_table.itemChanged.connect(self._on_tables_table_item_changed)
        self.tables_table.itemSelectionChanged.connect(self._on_tables_table_item_selection_changed)

        self.columns_label = QLabel(self)
        self.columns_label.setObjectName("columns_label")
        font = self.columns_label.font()
        font.setBold(True)
        self.columns_label.setFont(font)
        self.saved_badge = QLabel("✓ Saved mapping applied", self)
        self.saved_badge.setObjectName("saved_badge")
        self.saved_badge.setStyleSheet(BADGE_STYLE)
        self.saved_badge.hide()

        self.mapping_model = ColumnMappingModel(self.session, self)
        self.mapping_model.mapping_changed.connect(self._on_mapping_model_mapping_changed)
        self.mapping_view = QTableView(self)
        self.mapping_view.setObjectName("mapping_view")
        setup_mapping_view(self.mapping_view, self.mapping_model)
        header = self.mapping_view.horizontalHeader()
        header.setSectionResizeMode(MAP_SAMPLES, QHeaderView.ResizeMode.Stretch)
        for column, width in ((MAP_HEADER, 220), (MAP_FIELD, 220), (MAP_MATCH, 130)):
            self.mapping_view.setColumnWidth(column, width)

        self.unmapped_label = QLabel(self)
        self.unmapped_label.setObjectName("unmapped_label")
        self.unmapped_label.setWordWrap(True)
        self.unmapped_label.setProperty("role", "hint")

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.tables_table)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 6, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.columns_label)
        title_row.addWidget(self.saved_badge)
        title_row.addStretch(1)
        bottom_layout.addLayout(title_row)
        bottom_layout.addWidget(self.mapping_view, 1)
        bottom_layout.addWidget(self.unmapped_label)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._tables: list[TableChoice] = []
        self._filling = False

    @staticmethod
    def _setup_table(table: QTableWidget) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(30)
        table.horizontalHeader().setHighlightSections(False)
        table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        table.setWordWrap(False)

    # -- QWizardPage --------------------------------------------------------------------------
    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self._tables = self.session.tables
        self._fill_tables()
        if self._tables:
            self.tables_table.selectRow(0)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return any(table.include and table.kind is not None for table in self.session.tables)

    @property
    def current_table(self) -> TableChoice | None:
        row = self.tables_table.currentRow()
        return self._tables[row] if 0 <= row < len(self._tables) else None

    def select_table(self, table: TableChoice) -> None:
        """Show ``table``'s columns (tests and callers pick a table this way)."""
        self.tables_table.selectRow(self._tables.index(table))

    # -- the tables ---------------------------------------------------------------------------
    def _fill_tables(self) -> None:
        self._filling = True
        self.tables_table.setRowCount(len(self._tables))
        for row, table in enumerate(self._tables):
            include = _item("")
            include.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            self.tables_table.setItem(row, TABLE_INCLUDE, include)
            self.tables_table.setItem(row, TABLE_FILE, _item(table.file, str(table.path)))
            self.tables_table.setItem(row, TABLE_SHEET, _item(table.sheet))
            rows = _item(f"{table.row_count:,}")
            rows.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tables_table.setItem(row, TABLE_ROWS, rows)
            self.tables_table.setItem(row, TABLE_COLUMNS, _item(""))
            self.tables_table.setItem(row, TABLE_MAPPING, _item(""))
            if table.is_score_matrix:  # only scores: its headers are criteria, not another kind's fields
                self.tables_table.setItem(row, TABLE_KIND, _item(kind_label(Kind.SCORES.value), MATRIX_KIND_TIP))
                self._update_table_row(row)
                continue
            combo = _QuietComboBox(self.tables_table)
            combo.setObjectName(f"kind_combo_{row}")
            combo.setPlaceholderText("Choose what it holds…")
            for kind, label in KIND_LABELS.items():
                combo.addItem(label, kind)
            combo.currentIndexChanged.connect(lambda _i, t=table, c=combo: self._on_kind_combo_changed(t, c))
            self.tables_table.setCellWidget(row, TABLE_KIND, combo)
            self._update_table_row(row)
        self._filling = False

    def _update_table_row(self, row: int) -> None:
        table = self._tables[row]
        was_filling, self._filling = self._filling, True
        self.tables_table.item(row, TABLE_INCLUDE).setCheckState(
            Qt.CheckState.Checked if table.include else Qt.CheckState.Unchecked)
        combo = self.tables_table.cellWidget(row, TABLE_KIND)
        if isinstance(combo, QComboBox):
            combo.blockSignals(True)
            combo.setCurrentIndex(combo.findData(table.kind.value) if table.kind else -1)
            combo.blockSignals(False)
        mapped = sum(1 for column in table.columns if column.mapped)
        columns = self.tables_table.item(row, TABLE_COLUMNS)
        columns.setText(f"{mapped} of {len(table.columns)} imported")
        unmapped = ", ".join(column.header for column in table.unmapped)
        columns.setToolTip(f"Not imported: {unmapped}" if unmapped else "Every column is imported")
        mapping = self.tables_table.item(row, TABLE_MAPPING)
        if table.is_score_matrix:
            mapping.setText("Scoring matrix")
            mapping.setToolTip("Each filled cell is one project's score on the criterion its column is headed with")
        elif table.saved_mapping_applied:
            mapping.setText("✓ Saved mapping")
            mapping.setToolTip(f"The mapping you confirmed for {table.saved_from or 'a file'} with the same headers")
        elif table.kind is None:
            mapping.setText("Kind not clear")
            mapping.setToolTip("Choose what this table holds to import it")
        else:
            mapping.setText(f"Automatic, {table.confidence:.0%}")
            mapping.setToolTip("Columns matched by their headers; check them below")
        self._filling = was_filling

    def _on_tables_table_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != TABLE_INCLUDE:
            return
        table = self._tables[item.row()]
        wanted = item.checkState() == Qt.CheckState.Checked
        if wanted and table.kind is None:
            self._update_table_row(item.row())  # cannot import a table of no kind: say so
            self.unmapped_label.setText(f"Choose what {table.label} holds before importing it.")
            return
        table.include = wanted
        self.session.last_plan = None
        self.completeChanged.emit()

    def _on_kind_combo_changed(self, table: TableChoice, combo: QComboBox) -> None:
        kind = combo.currentData()
        if kind is None:
            return
        self.session.set_kind(table, Kind(kind))
        row = self._tables.index(table)
        self._update_table_row(row)
        if self.current_table is table:
            self._fill_mapping(table)
        else:
            self.tables_table.selectRow(row)
        self.completeChanged.emit()

    def _on_tables_table_item_selection_changed(self) -> None:
        table = self.current_table
        if table is not None:
            self._fill_mapping(table)

    # -- the columns of the selected table ----------------------------------------------------
    def _fill_mapping(self, table: TableChoice) -> None:
        what = "Criterion columns" if table.is_score_matrix else "Columns"
        self.columns_label.setText(f"{what} of {table.file}, sheet {table.sheet} "
                                   f"(headers on row {table.header_row})")
        self.saved_badge.setVisible(table.saved_mapping_applied)
        self.saved_badge.setToolTip(f"Confirmed on {table.saved_from}" if table.saved_from else "")
        self.mapping_model.set_table(table)
        self._update_unmapped(table)

    def _update_unmapped(self, table: TableChoice) -> None:
        unmapped = table.unmapped
        if table.is_score_matrix:
            self.unmapped_label.setText(_matrix_hint(table))
        elif table.kind is None:
            self.unmapped_label.setText("Choose what this table holds; its columns are then matched to that kind's "
                                        "fields.")
        elif unmapped:
            names = ", ".join(f"“{column.header}”" for column in unmapped[:8])
            more = f" and {len(unmapped) - 8} more" if len(unmapped) > 8 else ""
            self.unmapped_label.setText(
                f"{len(unmapped)} column{'s are' if len(unmapped) != 1 else ' is'} not imported: {names}{more}. "
                "Choose a field for any you need; the rest are left in the spreadsheet.")
        else:
            self.unmapped_label.setText("Every column is imported.")

    def _on_mapping_model_mapping_changed(self) -> None:
        table = self.mapping_model.table
        if table is not None:
            self._update_unmapped(table)
            self._update_table_row(self._tables.index(table))


def _quoted(columns: list[ColumnChoice]) -> str:
    return ", ".join(f"“{column.header}”" for column in columns)


def _matrix_hint(table: TableChoice) -> str:
    """What a scoring matrix imports: the criteria its columns score, headers matching none, columns left out."""
    matched = [column for column in table.criterion_columns if column.criterion is not None]
    unknown = [column for column in table.criterion_columns if column.unknown_criterion]
    criteria = ", ".join(dict.fromkeys(column.criterion or "" for column in matched))
    parts = [f"A scoring matrix: each filled cell is one score. {len(matched)} column"
             f"{'s score' if len(matched) != 1 else ' scores'} the office's criteria ({criteria})."]
    if unknown:
        one = len(unknown) == 1
        parts.append(f"{_quoted(unknown)} match{'es' if one else ''} no criterion: {'its' if one else 'their'} "
                     "scores are rejected; rename the header or add the criterion under File > Strategic Criteria.")
    if table.unmapped:
        parts.append(f"Not imported: {_quoted(table.unmapped)}.")
    return " ".join(parts)
