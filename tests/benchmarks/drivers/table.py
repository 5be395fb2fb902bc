"""The RAID register's table model: filtering as a user types, and sorting, against plain Python.

``table URL ROWS RUNS`` reads the register with ``raid_rows`` and repeats its rows (with new
ids) up to ROWS, puts them in the Risks tab's model (``RaidTableModel``, a ``RowTableModel``)
under an offscreen QApplication, and times:

* typing a word into the filter: ``set_filter_text`` with each prefix of the word, one call per
  keystroke, without a view, and again with a shown QTableView on the model (what a user sees);
* the baseline: a list comprehension over the same tuples with the same predicate (every typed
  term is in the row's casefolded text columns; that text is prepared once, as the model does
  in ``set_rows``);
* sorting by the Title column with ``model.sort`` against ``list.sort`` of a copy of the same
  tuples keyed by the casefolded title (the model's order).

Reports medians over RUNS of seconds per keystroke and per sort, and the row counts each side
found (they must agree for the comparison to mean anything).
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import statistics
import sys
import time

from ..common import report_and_exit


def _rows(url: str, wanted: int) -> list:
    from pmo_desktop.model.database import open_database
    from pmo_desktop.services.raid import raid_rows

    db = open_database(url, backup=False)
    with db.session() as session:
        stored = raid_rows(session, dt.date.today())
    db.dispose()
    rows = []
    next_id = 1
    while len(rows) < wanted and stored:
        for row in stored[: wanted - len(rows)]:
            rows.append(row._replace(id=next_id))
            next_id += 1
    return rows


def _typed_word(rows: list, title_pos: int) -> str:
    """The most common word of seven letters or more in the titles: a realistic thing to type."""
    words = collections.Counter(w for row in rows[:5000] for w in re.findall(r"[a-z]{7,}", row[title_pos].lower()))
    return words.most_common(1)[0][0] if words else "project"


def _haystacks(rows: list, columns) -> list[str]:
    """Each row's text columns (labels shown for enumerations), joined and casefolded."""
    from pmo_desktop.ui.models.row_table_model import Kind

    text = [(i + 1, c.labels) for i, c in enumerate(columns) if c.kind in (Kind.TEXT, Kind.RAG)]
    out = []
    for row in rows:
        parts = []
        for pos, labels in text:
            value = row[pos]
            if value is not None:
                parts.append(labels.get(value, value) if labels else str(value))
        out.append("\x1f".join(parts).casefold())
    return out


def _median_of(fn, runs: int, before=None) -> float:
    samples = []
    for _ in range(runs + 1):  # the first is a warm-up
        if before is not None:
            before()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[1:])


def main(url: str, wanted: int, runs: int) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QTableView

    from pmo_desktop.ui.risks.raid_table_model import COLUMN, RAID_COLUMNS, RaidTableModel

    app = QApplication([sys.argv[0]])
    rows = _rows(url, wanted)
    model = RaidTableModel(today=dt.date.today())
    model.set_rows(rows)
    title = COLUMN["title"] + 1
    word = _typed_word(rows, title)
    prefixes = [word[:n] for n in range(1, len(word) + 1)]
    hays = _haystacks(rows, RAID_COLUMNS)

    def type_word() -> None:
        for prefix in prefixes:
            model.set_filter_text(prefix)

    found = {}

    def baseline_filter() -> None:
        for prefix in prefixes:
            terms = prefix.strip().casefold().split()
            found["baseline"] = [r for r, h in zip(rows, hays, strict=True) if all(t in h for t in terms)]

    def clear() -> None:
        model.set_filter_text("")

    result: dict = {"rows": len(rows), "word": word, "keystrokes": len(prefixes)}
    result["filter_model_s"] = _median_of(type_word, runs, clear) / len(prefixes)
    result["filter_model_rows"] = model.rowCount()
    result["filter_baseline_s"] = _median_of(baseline_filter, runs) / len(prefixes)
    result["filter_baseline_rows"] = len(found["baseline"])

    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(False)
    view.resize(1200, 700)
    view.show()
    app.processEvents()

    def type_word_shown() -> None:
        for prefix in prefixes:
            model.set_filter_text(prefix)
            app.processEvents()

    def clear_shown() -> None:
        model.set_filter_text("")
        app.processEvents()

    result["filter_view_s"] = _median_of(type_word_shown, runs, clear_shown) / len(prefixes)
    view.hide()
    view.setModel(None)
    clear()

    def unsort() -> None:
        model.sort(COLUMN["score"], Qt.SortOrder.DescendingOrder)

    result["sort_model_s"] = _median_of(lambda: model.sort(COLUMN["title"], Qt.SortOrder.AscendingOrder),
                                        runs, unsort)
    copies: list[list] = []

    def key(row: tuple) -> str:  # the model's order: case-insensitive
        return row[title].casefold()

    result["sort_baseline_s"] = _median_of(lambda: copies[-1].sort(key=key), runs,
                                           lambda: copies.append(list(rows)))
    app.processEvents()
    return result


if __name__ == "__main__":
    report_and_exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
