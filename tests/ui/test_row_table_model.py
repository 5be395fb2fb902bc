"""The self-sorting, self-filtering table model every tab uses."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from pmo_desktop.ui.models.row_table_model import ROW_ID_ROLE, Column, Kind, RowTableModel, format_value

COLUMNS = [
    Column("code", "Code"),
    Column("rag", "RAG", Kind.RAG),
    Column("budget", "Budget", Kind.MONEY),
    Column("end", "End", Kind.DATE),
]
ROWS = [
    (1, "B-2", "A", 300, dt.date(2026, 5, 1)),
    (2, "A-1", "R", None, dt.date(2026, 1, 1)),
    (3, "C-3", "G", 100, None),
    (4, "D-4", None, 200, dt.date(2026, 3, 1)),
]


@pytest.fixture
def model(qapp):
    m = RowTableModel(COLUMNS)
    m.set_rows(ROWS)
    return m


def _codes(model):
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


def test_sorting_puts_blanks_last_both_ways(model):
    model.sort(2, Qt.SortOrder.AscendingOrder)
    assert _codes(model) == ["C-3", "D-4", "B-2", "A-1"]
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert _codes(model) == ["B-2", "D-4", "C-3", "A-1"]


def test_rag_sorts_red_amber_green(model):
    model.sort(1)
    assert _codes(model) == ["A-1", "B-2", "C-3", "D-4"]


def test_text_and_column_filters_combine(model):
    model.set_filter_text("b-")
    assert _codes(model) == ["B-2"]
    model.set_filter_text("")
    model.set_column_filter(1, ["R", "G"])
    assert sorted(_codes(model)) == ["A-1", "C-3"]
    model.set_predicate(lambda row: row[3] is not None)
    assert _codes(model) == ["C-3"]
    model.clear_filters()
    assert model.rowCount() == 4


def test_text_filter_matches_the_words_users_see(model):
    model.set_filter_text("amber")  # the RAG column shows "Amber" for "A"
    assert _codes(model) == ["B-2"]


def test_selection_follows_its_record_through_sort_and_filter(model, qapp):
    view = QTableView()
    view.setModel(model)
    selection = view.selectionModel()
    row_of_b = model.view_row_of(1)
    selection.setCurrentIndex(model.index(row_of_b, 0),
                              QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.data(selection.currentIndex(), ROW_ID_ROLE) == 1
    model.set_filter_text("c-3")
    assert not selection.currentIndex().isValid()  # filtered out: nothing stale stays selected


def test_formats_money_percent_and_dates():
    assert format_value(Column("b", "B", Kind.MONEY), 1234567.8) == "£1,234,568"
    assert format_value(Column("b", "B", Kind.MONEY), -50, currency="€") == "-€50"
    assert format_value(Column("p", "P", Kind.PERCENT), 0.456) == "46%"
    assert format_value(Column("d", "D", Kind.DATE), dt.date(2026, 3, 14)) == "14 Mar 2026"
    assert format_value(Column("r", "R", Kind.RAG), "G") == "Green"


def test_sorting_and_filtering_100k_rows(qapp):
    rows = [(i, f"P-{i:06d}", "RAG"[i % 3], i * 7 % 1000, None) for i in range(100_000)]
    big = RowTableModel(COLUMNS)
    big.set_rows(rows)
    big.sort(2, Qt.SortOrder.DescendingOrder)
    assert big.data(big.index(0, 2)) == "£999"
    big.set_filter_text("p-00001")
    assert big.rowCount() == 10


def test_sorting_is_stable_in_both_directions(qapp):
    # Equal budgets keep the order of the previous sort (by code), ascending and descending.
    rows = [(1, "E", 100), (2, "A", 200), (3, "D", 100), (4, "B", None), (5, "C", 200), (6, "F", 100)]
    m = RowTableModel([Column("code", "Code"), Column("budget", "Budget", Kind.MONEY)])
    m.set_rows(rows)
    m.sort(0)
    m.sort(1, Qt.SortOrder.AscendingOrder)
    assert _codes(m) == ["D", "E", "F", "A", "C", "B"]
    m.sort(0)
    m.sort(1, Qt.SortOrder.DescendingOrder)
    assert _codes(m) == ["A", "C", "D", "E", "F", "B"]


def test_text_sorts_without_case_and_dates_by_day(qapp):
    rows = [(1, "beta", dt.date(2026, 2, 1)), (2, "Alpha", None), (3, "", dt.date(2025, 12, 31)),
            (4, "alpha", dt.datetime(2026, 2, 1, 9, 30))]
    m = RowTableModel([Column("name", "Name"), Column("when", "When", Kind.DATE)])
    m.set_rows(rows)
    m.sort(0)
    assert [m.row_id(r) for r in range(4)] == [2, 4, 1, 3]  # "Alpha" and "alpha" tie; blank last
    m.sort(1)
    assert [m.row_id(r) for r in range(4)] == [3, 1, 4, 2]
    m.sort(1, Qt.SortOrder.DescendingOrder)
    assert [m.row_id(r) for r in range(4)] == [4, 1, 3, 2]


def test_a_column_with_values_of_another_kind_still_sorts(qapp):
    rows = [(1, "n/a"), (2, 5), (3, None), (4, 2.5)]
    m = RowTableModel([Column("score", "Score", Kind.NUMBER)])
    m.set_rows(rows)
    m.sort(0)
    assert [m.row_id(r) for r in range(4)] == [4, 2, 1, 3]  # numbers, then text, blanks last


def test_new_rows_are_sorted_by_their_own_values(model):
    model.sort(2)
    model.set_rows([(9, "Z-9", "G", 50, None), *ROWS])
    assert _codes(model) == ["Z-9", "C-3", "D-4", "B-2", "A-1"]


def test_filter_bar_fills_choices_in_one_reset_and_keeps_the_choice(model, qtbot):
    from pmo_desktop.ui.widgets.filter_bar import FilterBar

    bar = FilterBar(model, "projects")
    qtbot.addWidget(bar)
    combo = bar.add_choice(0, "Codes")
    assert [combo.itemText(i) for i in range(combo.count())] == ["All codes", "A-1", "B-2", "C-3", "D-4"]
    rag = bar.add_choice(1, "RAG", values=["R", "A", "G"])
    assert [rag.itemText(i) for i in range(rag.count())] == ["All RAG", "Red", "Amber", "Green"]
    combo.setCurrentIndex(combo.findData("C-3"))
    assert _codes(model) == ["C-3"]
    resets = []
    combo.model().modelReset.connect(lambda: resets.append(1))
    model.set_rows([*ROWS, (5, "E-5", "G", 1, None)])
    bar.refresh_choices()
    assert len(resets) == 1 and combo.count() == 6
    assert combo.currentData() == "C-3" and _codes(model) == ["C-3"]
    model.set_rows([row for row in ROWS if row[1] != "C-3"])
    bar.refresh_choices()  # the chosen value is gone: back to all
    assert combo.currentIndex() == 0 and model.rowCount() == 3


def test_filter_bar_toggles_combine_and_clear(model, qtbot):
    from pmo_desktop.ui.widgets.filter_bar import FilterBar

    bar = FilterBar(model, "projects")
    qtbot.addWidget(bar)
    budgeted = bar.add_toggle("Has budget", lambda row: row[3] is not None)
    dated = bar.add_toggle("Has end date", lambda row: row[4] is not None)
    budgeted.setChecked(True)
    assert sorted(_codes(model)) == ["B-2", "C-3", "D-4"]
    dated.setChecked(True)
    assert sorted(_codes(model)) == ["B-2", "D-4"]
    bar.clear()
    assert not budgeted.isChecked() and not dated.isChecked() and model.rowCount() == 4


def test_a_large_selection_follows_its_records_through_sort_and_filter(qapp):
    from PySide6.QtCore import QItemSelection

    rows = [(i, f"R-{i:03d}", None, 1000 - i, None) for i in range(200)]
    m = RowTableModel(COLUMNS)
    m.set_rows(rows)
    view = QTableView()
    view.setModel(m)
    selection = view.selectionModel()
    chosen = QItemSelection(m.index(10, 0), m.index(59, 3))  # 50 rows: more than are looked up one by one
    selection.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def selected_ids():
        return sorted(m.data(index, ROW_ID_ROLE) for index in selection.selectedRows())

    assert selected_ids() == list(range(10, 60))
    m.sort(2, Qt.SortOrder.AscendingOrder)
    assert selected_ids() == list(range(10, 60))
    m.set_filter_text("r-0")  # ids 0-99 stay
    assert selected_ids() == list(range(10, 60))
    m.set_filter_text("r-05")
    assert selected_ids() == list(range(50, 60))
