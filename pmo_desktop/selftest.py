"""``pmo-desktop --self-test``: prove an installed copy or a frozen bundle works end to end.

Offscreen, on a temporary database, it runs each step below in order, prints what it checked
and returns 0, or names the failing step and returns 1. Nothing outside the temporary folder is
touched (user data, logs and settings are redirected there).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Printer = Callable[[str], None]


@dataclass
class SelfTestState:
    """What the steps hand each other."""

    folder: Path
    db: Any = None
    today: dt.date = field(default_factory=dt.date.today)
    project_code: str | None = None
    batch_id: int | None = None


def _step_database(state: SelfTestState) -> str:
    from .model.database import is_at_head, open_database

    state.db = open_database(f"sqlite:///{state.folder / 'selftest.db'}")
    if not is_at_head(state.db.engine):
        raise AssertionError("the schema is not at the newest revision after migrating")
    return f"created and migrated {state.db.display_url}"


def _step_demo(state: SelfTestState) -> str:
    from .demo import DemoSpec, build_demo

    summary = build_demo(state.db, DemoSpec(), today=state.today)
    if summary.counts.get("project", 0) < 60:
        raise AssertionError(f"the demo office has too few projects: {summary}")
    return str(summary)


def _step_check(state: SelfTestState) -> str:
    from .services.integrity import run_checks

    report = run_checks(state.db)
    if not report.ok:
        raise AssertionError("; ".join(f"{r.name}: {r.detail}" for r in report.results if not r.ok))
    return ", ".join(f"{r.name} ok" for r in report.results)


def _step_template_import(state: SelfTestState) -> str:
    from openpyxl import load_workbook
    from sqlalchemy import select

    from .importer.marker import DATA_SHEET
    from .importer.pipeline import import_files
    from .model import Project, Stage, StatusReport
    from .reports.templates import template_lists, write_template

    path = state.folder / "status-template.xlsx"
    with state.db.session() as session:
        write_template("status", path, lists=template_lists(session))
        project = session.scalars(select(Project).where(Project.stage == Stage.EXECUTION.value)
                                  .order_by(Project.code)).first()
    state.project_code = project.code
    period_end = state.today.replace(day=1) + dt.timedelta(days=40)
    period_end = period_end.replace(day=1) - dt.timedelta(days=1)
    workbook = load_workbook(path)
    sheet = workbook[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    values = {"Project": project.code, "Period end": period_end, "Overall RAG": "Red", "% complete": 0.42,
              "Summary": "Self-test report"}
    for column, header in enumerate(headers, start=1):
        if header in values:
            sheet.cell(row=2, column=column, value=values[header])
    workbook.save(path)
    outcome = import_files(state.db, [path])
    if outcome.file_errors or outcome.exit_code != 0 or not outcome.batch_ids:
        raise AssertionError(f"the filled template did not import cleanly: {outcome.summary()} "
                             f"{[p.message for p in outcome.file_errors]}")
    state.batch_id = outcome.batch_ids[0]
    with state.db.session() as session:
        stored = session.scalar(select(StatusReport).join(Project).where(
            Project.code == project.code, StatusReport.period_end == period_end))
    if stored is None or stored.rag != "R" or abs((stored.percent_complete or 0) - 0.42) > 1e-9:
        raise AssertionError(f"the imported report was not stored as written: {stored!r}")
    return f"status template for {project.code} written, filled, imported as batch {state.batch_id}"


def _step_undo_import(state: SelfTestState) -> str:
    from .importer.apply import undo_batch

    batch = undo_batch(state.db, state.batch_id)
    if batch.status != "undone":
        raise AssertionError(f"batch {state.batch_id} is {batch.status} after undo")
    return f"batch {state.batch_id} undone"


def _step_main_window(state: SelfTestState) -> str:
    from .ui.selftest import show_every_tab

    shown = show_every_tab(state.db)
    return ", ".join(f"{title}: {rows} {'px wide' if 'chart' in title else 'rows'}" for title, rows in shown)


def _step_exec_pack(state: SelfTestState) -> str:
    from openpyxl import load_workbook

    from .reports.exec_pack import write_exec_pack

    path = state.folder / "pack.xlsx"
    result = write_exec_pack(state.db, path, as_of=state.today)
    sheets = load_workbook(path, read_only=True).sheetnames
    if "Summary" not in sheets or "Portfolio" not in sheets:
        raise AssertionError(f"the pack is missing sheets: {sheets}")
    return f"{path.name} with {len(sheets)} sheets ({', '.join(sheets)}) in {result.seconds:.1f} s"


def _step_pdf_pack(state: SelfTestState) -> str:
    from .ui.pdf import write_pdf_pack

    path = state.folder / "pack.pdf"
    result = write_pdf_pack(state.db, path, as_of=state.today)
    content = path.read_bytes()
    if not content.startswith(b"%PDF-") or not content.rstrip().endswith(b"%%EOF"):
        raise AssertionError(f"{path.name} is not a whole PDF ({len(content):,} bytes)")
    if result.pages < 2 or len(re.findall(rb"/Type\s*/Page(?!s)", content)) != result.pages:
        raise AssertionError(f"the PDF pack has {result.pages} pages; a cover and the sections need more")
    with state.db.session() as session:
        from .model.database import load_settings

        office = load_settings(session).office_name
    text = _pdf_text(path)
    if text is not None and (office not in text or "Executive pack — Portfolio" not in text):
        raise AssertionError("the PDF pack's text lacks the office name or the Portfolio section")
    checked = "text checked with pdftotext" if text is not None else "pdftotext absent: text not checked"
    return f"{path.name}: {result.pages} pages, {len(content) / 1e6:.1f} MB in {result.seconds:.1f} s; {checked}"


def _pdf_text(path: Path) -> str | None:
    """The PDF's text as poppler's pdftotext reads it (None when pdftotext is not installed)."""
    import shutil
    import subprocess

    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=120).stdout


STEPS: list[tuple[str, Callable[[SelfTestState], str]]] = [
    ("database", _step_database),
    ("demo office", _step_demo),
    ("integrity check", _step_check),
    ("template import", _step_template_import),
    ("undo import", _step_undo_import),
    ("main window and charts", _step_main_window),
    ("executive pack (xlsx)", _step_exec_pack),
    ("executive pack (pdf)", _step_pdf_pack),
]


def run_self_test(out: Printer = print) -> int:
    """Run every step; 0 when all pass, 1 naming the first that failed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="pmo-selftest-") as tmp:
        folder = Path(tmp)
        for name in ("PMO_DATA_DIR", "PMO_LOG_DIR", "PMO_CACHE_DIR"):
            os.environ[name] = str(folder / name.lower())
        os.environ.pop("PMO_DATABASE_URL", None)
        state = SelfTestState(folder)
        started = time.perf_counter()
        try:
            for number, (name, step) in enumerate(STEPS, start=1):
                t0 = time.perf_counter()
                try:
                    detail = step(state)
                except Exception as exc:  # the whole point is to report any failure by step
                    out(f"FAILED step {number} ({name}): {type(exc).__name__}: {exc}")
                    out(traceback.format_exc())
                    return 1
                out(f"ok   {number}. {name} ({time.perf_counter() - t0:.1f} s): {detail}")
        finally:
            if state.db is not None:
                state.db.dispose()
        out(f"Self-test passed: {len(STEPS)} steps in {time.perf_counter() - started:.1f} s")
        return 0
