"""The import's fast paths give exactly what the plain per-cell code gives.

Parsers chosen once per column (with blank skipping and a per-column memo), inline cell
normalisation, stored-form converters chosen once per field, the audit hash built with a
shared encoder, and the paused garbage collector: each is checked against the reference it
replaces, or end to end (an import whose events verify, a re-import that changes nothing, an
exact undo). No timings are asserted here.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
from decimal import Decimal, InvalidOperation

import pytest
from sqlalchemy import select

from pmo_desktop.importer import plan as plan_module
from pmo_desktop.importer.apply import undo_batch
from pmo_desktop.importer.fields import FIELDS, Kind
from pmo_desktop.importer.pipeline import EXIT_REJECTED, collector_paused, import_files
from pmo_desktop.importer.readers import ReadLimits, collect_rows, normalise_cell
from pmo_desktop.importer.values import field_parser, parse_field
from pmo_desktop.model import StatusReport
from pmo_desktop.model.audit import AuditEvent, event_hash, verify_chain

from .helpers import dump

D = dt.date

CELLS = [None, "", "  Green ", "amber", "R", "Red", "n/a", "TBC", 0, 1, True, False, 1.5, 2.0, -0.0, 1e300,
         float("nan"), float("inf"), "42", "42%", "0.35", "£1,200", "1.2k", "31/03/2026", "2026-03-31",
         "Mar 2026", D(2026, 3, 31), dt.datetime(2026, 3, 31, 0, 0), dt.datetime(2026, 3, 31, 9, 30),
         "Open", "closed", "High", "3", "x" * 50, "line one\r\nline two_x000D_"]


def _outcome(call):
    try:
        return ("value", call())
    except (ValueError, ArithmeticError) as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("kind", list(Kind))
def test_a_column_parser_parses_every_cell_as_parse_field_does(kind):
    for spec in FIELDS[kind]:
        for multiplier, unit in ((Decimal(1), None), (Decimal(1000), "days")):
            parser = field_parser(spec, multiplier=multiplier, unit=unit)
            for cell in CELLS:
                expected = _outcome(lambda: parse_field(spec, cell, multiplier=multiplier, unit=unit))  # noqa: B023
                got = _outcome(lambda: parser(cell))  # noqa: B023
                assert repr(got) == repr(expected), (kind, spec.name, cell)


READER_CELLS = ["   ", "\t tab and space \n", "only\r\nCRLF", "_x000D_", " _x000D_ ", "lone\rCR", "y" * 1_001,
                dt.datetime(2026, 3, 31, 0, 0, tzinfo=dt.UTC), dt.time(9, 30)]
"""Cells the reader's inline normalising decides on its own: blank-looking and wrapped text, long
text, an aware midnight, a time."""


def test_rows_are_normalised_as_normalise_cell_normalises_each_cell():
    row = [*CELLS, *READER_CELLS, None, ""]
    rows, truncated = collect_rows([row, row[::-1]], ReadLimits())
    assert not truncated
    for got, source in zip(rows, (row, row[::-1]), strict=True):
        expected = [normalise_cell(v) for v in source]
        while expected and expected[-1] is None:
            expected.pop()
        assert repr(got) == repr(tuple(expected))


def _reference_stored_form(kind, field_name, value):
    """stored_form as it was written before its converters were chosen once per field."""
    if value is None:
        return None
    if (kind, field_name) in plan_module.ENUM_TYPES:
        return plan_module._enum_value(kind, field_name, value)
    if field_name in plan_module.RAG_FIELDS:
        text = str(value).strip().upper()
        if text not in {r.value for r in plan_module.Rag}:
            raise ValueError("is not a RAG status; use Red, Amber or Green")
        return text
    if field_name in plan_module.MERGED_FIELDS:
        if not isinstance(value, dict):
            raise ValueError("is not a set of named values")
        return value
    if (field_name in plan_module.PROJECT_REFERENCES or field_name in plan_module.NAMED_LINKS
            or (kind, field_name) in plan_module.LOOKUP_FIELDS):
        return plan_module._text(value)
    column_name = plan_module.column_of(kind, field_name)
    if column_name is None:
        return value
    column_type = plan_module.TABLES[kind].c[column_name].type
    if isinstance(column_type, plan_module.Numeric) and not isinstance(column_type, plan_module.Float):
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
            return number.quantize(Decimal(1).scaleb(-(column_type.scale or 0)))
        except (InvalidOperation, ValueError):
            raise ValueError("is not an amount of money") from None
    if isinstance(column_type, plan_module.Float):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError("is not a number")
        return float(value)
    if isinstance(column_type, plan_module.Integer):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or value != int(value):
            raise ValueError("is not a whole number")
        return int(value)
    if isinstance(column_type, plan_module.Date):
        if isinstance(value, dt.datetime):
            return value.date()
        if not isinstance(value, dt.date):
            raise ValueError("is not a date")
        return value
    if isinstance(column_type, plan_module.String | plan_module.Text):
        text = plan_module._text(value)
        return text or None
    return value


STORED_VALUES = [*CELLS[2:], Decimal("1200.456"), Decimal("NaN"), {"a": 1}, "G", "in_progress", "risk"]


@pytest.mark.parametrize("kind", list(plan_module.FIELD_COLUMNS))
def test_stored_converters_give_what_stored_form_gave(kind):
    for field_name in plan_module.FIELD_COLUMNS[kind]:
        for value in STORED_VALUES:
            expected = _outcome(lambda: _reference_stored_form(kind, field_name, value))  # noqa: B023
            got = _outcome(lambda: plan_module.stored_form(kind, field_name, value))  # noqa: B023
            assert repr(got) == repr(expected), (kind, field_name, value)


def test_the_collector_is_paused_inside_and_restored_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()


def _write_status_csv(path, rows):
    path.write_text("Project,Week Ending,Overall RAG,Executive Summary\n"
                    + "".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _projects_csv(path):
    path.write_text("Project ID,Project Name,Project Manager\nP1,Alpha,Ann Lee\nP2,Beta,Bo Chan\n", encoding="utf-8")
    return path


def test_repeated_cells_parse_alike_and_each_bad_cell_is_reported_on_its_own_row(db, tmp_path):
    import_files(db, [_projects_csv(tmp_path / "projects.csv")])
    rows = [["P1" if i % 2 else "P2", f"2026-0{1 + i // 2}-28", ["Green", "amber", "Purple"][i % 3], "same"]
            for i in range(9)]
    outcome = import_files(db, [_write_status_csv(tmp_path / "status.csv", rows)])
    assert outcome.exit_code == EXIT_REJECTED
    rejected = [row for row in outcome.plan.rows() if row.action.value == "reject"]
    assert [row.row for row in rejected] == [4, 7, 10]  # every "Purple", not only the first
    assert all(row.errors[0].value == "Purple" for row in rejected)
    with db.session() as s:
        stored = s.execute(select(StatusReport.rag, StatusReport.summary).order_by(StatusReport.id)).all()
    assert [tuple(r) for r in stored] == [("G", "same"), ("A", "same")] * 3


def test_audit_hashes_are_the_documented_json_of_each_event(db, tmp_path):
    import_files(db, [_projects_csv(tmp_path / "projects.csv")])
    with db.engine.connect() as conn:
        checked, broken = verify_chain(conn)
        events = conn.execute(select(AuditEvent.__table__)).all()
    assert checked == len(events) > 0 and broken is None
    for event in events:
        payload = json.dumps([event.prev_hash, event.at.isoformat(timespec="microseconds"), event.actor,
                              event.source, event.batch_id, event.entity, event.entity_id, event.action,
                              event.changes, event.note], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert event.hash == hashlib.sha256(payload.encode("utf-8")).hexdigest() == event_hash(event)


def test_import_reimport_and_undo_leave_exactly_what_they_should(db, tmp_path):
    import_files(db, [_projects_csv(tmp_path / "projects.csv")])
    before = dump(db)
    rows = [["P1", f"2026-0{m}-28", "Green", f"month {m}"] for m in range(1, 7)]
    status = _write_status_csv(tmp_path / "status.csv", rows)
    first = import_files(db, [status])
    after = dump(db)
    again = import_files(db, [status])
    assert again.plan.counts.unchanged == 6 and not again.plan.has_changes
    assert dump(db) == after
    undo_batch(db, first.batch_ids[0])
    assert dump(db) == before
    with db.engine.connect() as conn:
        assert verify_chain(conn)[1] is None
