"""The columns of one table and where each goes: a model over ``TableChoice.columns`` and the
drop-down that edits the field.

A sheet can have hundreds of columns (a transposed master has 700 field labels), so the field
column is painted to look like a drop-down and a real combo box exists only while one cell is
edited; one combo widget per row took seconds to build.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ...importer.session import ColumnChoice, ImportSession, TableChoice
from ..icons import icon
from .labels import IGNORE, UNMAPPED_RGBA, confidence_text, field_label, matrix_field_text

MAP_HEADER, MAP_SAMPLES, MAP_FIELD, MAP_MATCH = range(4)
FIELD_CHOICES_ROLE = Qt.ItemDataRole.UserRole + 1
"""(label, field name or None) pairs a column can be sent to."""

CHEVRON_SPACE = 22
_Index = QModelIndex | QPersistentModelIndex


class ColumnMappingModel(QAbstractTableModel):
    """One row per column of the selected table; editing "Imported as" calls ``session.set_field``."""

    HEADERS = ("Column in the sheet", "Sample values", "Imported as", "Match")
    #: A column's field changed (the page updates its counts and hints).
    mapping_changed = Signal()

    def __init__(self, session: ImportSession, parent=None):
        super().__init__(parent)
        self.session = session
        self.table: TableChoice | None = None
        self._choices: list[tuple[str, str | None]] = []

    def set_table(self, table: TableChoice | None) -> None:
        self.beginResetModel()
        self.table = table
        self._choices = [(IGNORE, None)]
        if table is not None and table.kind is not None:
            self._choices += [(field_label(table.kind, name), name) for name in table.field_names()]
        self.endResetModel()

    def column_choice(self, row: int) -> ColumnChoice:
        assert self.table is not None
        return self.table.columns[row]

    def row_of(self, header: str) -> int:
        """The row of the column headed ``header`` (ValueError if there is none)."""
        assert self.table is not None
        return [column.header for column in self.table.columns].index(header)

    # -- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() or self.table is None else len(self.table.columns)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt override
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if (index.column() == MAP_FIELD and self.table is not None and self.table.kind is not None
                and not self.table.is_score_matrix):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.table is None:
            return None
        column = self.table.columns[index.row()]
        part = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(column, part)
        if role == Qt.ItemDataRole.EditRole and part == MAP_FIELD:
            return column.field
        if role == FIELD_CHOICES_ROLE:
            return self._choices
        if role == Qt.ItemDataRole.ToolTipRole:
            if part == MAP_SAMPLES:
                return "\n".join(column.samples) or None
            if part == MAP_MATCH or (part == MAP_FIELD and self.table.is_score_matrix):
                return column.note or None
            return self._text(column, part) if part == MAP_HEADER else None
        left_out = not column.mapped or column.unknown_criterion
        if role == Qt.ItemDataRole.BackgroundRole and left_out and (part != MAP_FIELD or self.table.is_score_matrix):
            return QBrush(QColor(*UNMAPPED_RGBA))
        return None

    def _text(self, column: ColumnChoice, part: int) -> str:
        if part == MAP_HEADER:
            return column.header
        if part == MAP_SAMPLES:
            return " · ".join(column.samples) if column.samples else "(blank in every row)"
        if part == MAP_FIELD and self.table is not None and self.table.is_score_matrix:
            return matrix_field_text(column)
        if part == MAP_FIELD:
            return next((label for label, name in self._choices if name == column.field), column.field or IGNORE)
        return confidence_text(column)

    def setData(self, index: _Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or index.column() != MAP_FIELD or self.table is None:
            return False
        column = self.table.columns[index.row()]
        if value == column.field:
            return False
        self.session.set_field(self.table, column.index, value)
        # The field may have been taken from another column: every row can change.
        self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
        self.mapping_changed.emit()
        return True


class FieldDelegate(QStyledItemDelegate):
    """Paints "Imported as" as a drop-down and edits it with a combo box of the kind's fields."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        """Draw the cell the way the stylesheet draws a combo box: framed text and a chevron."""
        if not index.flags() & Qt.ItemFlag.ItemIsEditable:
            super().paint(painter, option, index)
            return
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, palette.highlight())
        box = option.rect.adjusted(2, 2, -3, -3)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(palette.base())
        painter.drawRoundedRect(QRectF(box).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        text_rect = box.adjusted(6, 0, -CHEVRON_SPACE, 0)
        text = option.fontMetrics.elidedText(index.data(Qt.ItemDataRole.DisplayRole) or "",
                                             Qt.TextElideMode.ElideRight, text_rect.width())
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
        chevron = QRect(box.right() - CHEVRON_SPACE + 5, box.center().y() - 5, 11, 11)
        icon("chevron_down").paint(painter, chevron)
        painter.restore()

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:  # noqa: N802
        editor = QComboBox(parent)
        editor.setObjectName("field_editor")
        for label, name in index.data(FIELD_CHOICES_ROLE) or []:
            editor.addItem(label, name)
        editor.activated.connect(lambda _i, e=editor: self._commit(e))
        return editor

    def setEditorData(self, editor: QWidget, index: _Index) -> None:  # noqa: N802 - Qt override
        assert isinstance(editor, QComboBox)
        editor.setCurrentIndex(max(editor.findData(index.data(Qt.ItemDataRole.EditRole)), 0))

    def setModelData(self, editor: QWidget, model, index: _Index) -> None:  # noqa: N802 - Qt override
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: _Index) -> None:  # noqa: N802
        editor.setGeometry(option.rect.adjusted(2, 2, -2, -2))

    def _commit(self, editor: QComboBox) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)


def setup_mapping_view(view: QTableView, model: ColumnMappingModel) -> None:
    """Rows selected whole, no row numbers; one click on "Imported as" opens its drop-down, and
    the keyboard edits it with F2."""
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(30)
    header = view.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setHighlightSections(False)
    view.setItemDelegateForColumn(MAP_FIELD, FieldDelegate(view))
    view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                         | QAbstractItemView.EditTrigger.SelectedClicked)

    def open_drop_down(index: QModelIndex) -> None:
        if index.column() != MAP_FIELD or not index.flags() & Qt.ItemFlag.ItemIsEditable:
            return
        view.edit(index)
        editor = view.indexWidget(index)
        if isinstance(editor, QComboBox):
            QTimer.singleShot(0, editor.showPopup)

    view.clicked.connect(open_drop_down)
