"""Finding labels and a table's extent: every label and row counted, whatever stops the scan early.

The transposed-layout scan scores only the first ``TRANSPOSED_SCORE_LABELS`` labels before it
reads the rest, and ``table_extent`` decides each row on its first filled cell; these check
that the labels past the scored ones and the rows around blanks, subtotals and totals are the
ones a plain reading of the sheet gives.
"""

from __future__ import annotations

import datetime as dt

from pmo_desktop.importer import sheets

FIELD_LABELS = ["Project name", "Project code", "Budget", "Actual cost", "RAG status", "Project manager",
                "Forecast end date", "Percent complete"]


def test_a_transposed_scan_keeps_every_label_past_the_scored_ones():
    count = sheets.TRANSPOSED_SCORE_LABELS + 40
    rows = [(FIELD_LABELS[n % len(FIELD_LABELS)] + (f" {n // len(FIELD_LABELS)}" if n >= len(FIELD_LABELS) else ""),
             f"value {n}", f"other {n}") if n % 7 else (None, 12.5, 3) for n in range(count)]
    scan = sheets._scan_transposed(rows, min_fields=3)
    assert scan is not None
    assert scan.label_column == 0
    assert [label.row for label in scan.labels] == [n for n in range(count) if n % 7]
    assert [label.text for label in scan.labels] == [rows[n][0] for n in range(count) if n % 7]
    assert scan.value_columns == [1, 2]


def test_a_column_with_fewer_than_five_text_cells_is_not_the_label_column():
    rows = [("Budget", "Project name"), (1, "Project code"), ("RAG", "Budget"), (2, "RAG status"),
            ("Owner", "Project manager"), (3, "Percent complete")]
    column, labels = sheets._label_column(rows)
    assert column == 1
    assert [label.text for label in labels] == [row[1] for row in rows]


def test_table_extent_skips_blanks_and_subtotals_and_stops_at_a_total():
    rows = [
        ("Code", "Name", "Budget"),
        ("P-1", "One", 10),
        (None, None, None),
        ("P-2", "Two", 0),
        ("Subtotal", None, 10),
        (None, False, None),  # False is a value, not a blank
        ("P-3", "Three", 5),
        ("Total", None, 15),
        ("P-4", "After the total", 1),
    ]
    assert sheets.table_extent(rows, 0, 3, text_columns=[0, 1]) == [
        (2, ("P-1", "One", 10)), (4, ("P-2", "Two", 0)), (6, (None, False, None)), (7, ("P-3", "Three", 5))]


def test_table_extent_stops_at_an_unlabelled_row_of_numbers_and_at_a_blank_run():
    rows = [("Code", "Name", "Budget"), ("P-1", "One", 10), ("P-2", "Two", 20), (None, None, 30), ("P-3", "x", 1)]
    assert [line for line, _ in sheets.table_extent(rows, 0, 3, text_columns=[0, 1])] == [2, 3]
    assert [line for line, _ in sheets.table_extent(rows, 0, 3)] == [2, 3, 4, 5]
    gap = [("Code", "Name"), ("P-1", "One"), (), (None,), ("P-2", "Two")]
    assert [line for line, _ in sheets.table_extent(gap, 0, 2)] == [2]


def test_table_extent_gives_each_row_at_the_table_width_and_drops_one_filled_only_past_it():
    rows = [
        ("Code", "Name", "Budget"),
        ("P-1", "One", 10),  # as wide as the table
        ("P-2",),  # shorter: padded with blanks
        ["P-3", "Three", 7],  # a list row comes back as a tuple
        ("P-4", "Four", 3, "note past the table"),  # wider: cut to the table
        (None, None, None, "only a note past the table"),
        ("P-5", "Five", 1),
    ]
    extent = sheets.table_extent(rows, 0, 3)
    assert extent == [(2, ("P-1", "One", 10)), (3, ("P-2", None, None)), (4, ("P-3", "Three", 7)),
                      (5, ("P-4", "Four", 3)), (7, ("P-5", "Five", 1))]
    assert all(type(values) is tuple for _, values in extent)


def test_a_sure_field_is_the_best_match_of_a_confidence_of_0_85_or_more():
    from pmo_desktop.importer.fields import FIELDS

    synonyms = sorted({synonym for specs in FIELDS.values() for spec in specs for synonym in spec.synonyms})
    variants = [text for synonym in synonyms[::7]
                for text in (f"Total {synonym}", " ".join(reversed(synonym.split())), synonym[:-1] + "x", synonym.upper())]
    others = ["CYB-004", "P1", "Email Security Upgrade", "Mobilising: recruiting the project team.", "Naomi Mitchell",
              "Projct manger", "Overal RAG", "Budjet (£k)", "x", "", None, 42, 3.5, dt.date(2026, 3, 31)]
    for header in [*synonyms, *variants, *others]:
        name, confidence = sheets._best_match(header)
        assert sheets._sure_field(header) == (name if confidence >= 0.85 else None), header
