"""Project managers' spreadsheets written from the demo data, for import tests and benchmarks.

Each workbook looks like the ones managers really send: a title row and a notes row above the
header, human column names ("Proj Code", "Overall RAG", "Budget (£k)", "% Complete"), RAGs as
words, money in pounds or thousands, dates as Excel dates. The four kinds are a projects list, a
monthly status return, a RAID log and a resource allocation grid with one column per week.

Workbooks are written in openpyxl's write-only mode so that 50,000-row files take seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import Select, desc, func, select

from ..model import Allocation, Person, Programme, Project, Rag, RaidItem, Role, Stage, StatusReport
from ..model.database import Database
from .vocabulary import ORGANISATION

TITLE_ROW, NOTES_ROW, HEADER_ROW = 1, 2, 4
"""Where things are in every workbook: data starts on the row after the header."""

_RAG_WORDS = {rag.value: rag.label for rag in Rag}
_TITLE_FONT = Font(bold=True, size=14)
_NOTES_FONT = Font(italic=True, color="666666")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True, slots=True)
class WorkbookInfo:
    """What was written: where, on which sheet, where the header is, and how many data rows."""

    path: Path
    sheet: str
    header_row: int
    headers: tuple[str, ...]
    rows: int


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header as managers spell it, its width and the Excel number format, if any."""

    header: str
    width: float = 14
    number_format: str | None = None


DATE = "dd/mm/yyyy"
MONEY = "#,##0"
THOUSANDS = "#,##0.0"
PERCENT = "0%"


# --- writing ---------------------------------------------------------------------------------------

class _SheetWriter:
    """Appends styled rows to a write-only sheet; text that looks like a formula stays text."""

    def __init__(self, workbook: Workbook, title: str, columns: Sequence[Column]):
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title)
        self.columns = columns
        self.rows = 0
        for index, column in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        self._formats = [c.number_format for c in columns]

    def preamble(self, title: str, notes: str) -> None:
        self._styled([title], _TITLE_FONT)
        self._styled([notes], _NOTES_FONT)
        self.sheet.append([])
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(self.sheet, column.header)
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            header.append(cell)
        self.sheet.append(header)

    def _styled(self, values: list, font: Font) -> None:
        cells = []
        for value in values:
            cell = WriteOnlyCell(self.sheet, value)
            cell.font = font
            cells.append(cell)
        self.sheet.append(cells)

    def append(self, values: Sequence) -> None:
        row = []
        for value, number_format in zip(values, self._formats, strict=True):
            if isinstance(value, Decimal):
                value = float(value)
            if number_format is not None and value is not None:
                cell = WriteOnlyCell(self.sheet, value)
                cell.number_format = number_format
                row.append(cell)
            elif isinstance(value, str) and value.startswith(_FORMULA_STARTS):
                cell = WriteOnlyCell(self.sheet, value)
                cell.data_type = "s"  # never let data become a formula
                row.append(cell)
            else:
                row.append(value)
        self.sheet.append(row)
        self.rows += 1


def _write(path: str | Path, sheet_title: str, columns: Sequence[Column], title: str, notes: str,
           rows: Iterable[Sequence]) -> WorkbookInfo:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    writer = _SheetWriter(workbook, sheet_title, columns)
    writer.preamble(title, notes)
    for values in rows:
        writer.append(values)
    workbook.save(path)
    return WorkbookInfo(path, sheet_title, HEADER_ROW, tuple(c.header for c in columns), writer.rows)


def _as_of(db: Database) -> dt.date:
    """The date the data is "as at": the latest status period, else today."""
    with db.engine.connect() as conn:
        latest = conn.scalar(select(func.max(StatusReport.period_end)))
    return latest or dt.date.today()


def _rag(value: str | None) -> str | None:
    return _RAG_WORDS.get(value) if value else None


def _stage(value: str | None) -> str | None:
    return Stage(value).label if value else None


def _thousands(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) / 1000, 1)


# --- projects list ---------------------------------------------------------------------------------

PROJECT_COLUMNS = (
    Column("Proj Code", 11), Column("Project Name", 36), Column("Programme", 22), Column("Sponsor", 18),
    Column("PM", 18), Column("Dept", 16), Column("Stage", 13), Column("Overall RAG", 10),
    Column("Budget (£k)", 11, THOUSANDS), Column("Actuals to Date (£k)", 12, THOUSANDS),
    Column("Forecast (£k)", 11, THOUSANDS), Column("% Complete", 10, PERCENT), Column("Start Date", 12, DATE),
    Column("Baseline Finish", 12, DATE), Column("Forecast Finish", 12, DATE), Column("Methodology", 12),
    Column("Priority", 8), Column("Description", 60),
)


def projects_workbook(db: Database, path: str | Path) -> WorkbookInfo:
    """The portfolio's project list as a PMO analyst keeps it, one row per project."""
    query = (
        select(Project.code, Project.name, Programme.name, Project.sponsor, Project.manager, Project.department,
               Project.stage, Project.rag, Project.budget, Project.actual_cost, Project.forecast_cost,
               Project.percent_complete, func.coalesce(Project.actual_start, Project.baseline_start,
                                                       Project.forecast_start),
               Project.baseline_end, Project.forecast_end, Project.methodology, Project.priority,
               Project.description)
        .join(Programme, Programme.id == Project.programme_id, isouter=True)
        .order_by(Project.code)
    )

    def rows():
        with db.engine.connect() as conn:
            for r in conn.execute(query):
                yield (r[0], r[1], r[2], r[3], r[4], r[5], _stage(r[6]), _rag(r[7]), _thousands(r[8]),
                       _thousands(r[9]), _thousands(r[10]), r[11], r[12], r[13], r[14],
                       r[15].capitalize() if r[15] else None, r[16], r[17])

    as_of = _as_of(db)
    return _write(path, "Projects", PROJECT_COLUMNS, f"{ORGANISATION} – Project list as at {as_of:%d/%m/%Y}",
                  "Money in £ thousands. RAG as reported in the last monthly return. Do not change Proj Code.",
                  rows())


# --- monthly status --------------------------------------------------------------------------------

STATUS_COLUMNS = (
    Column("Proj Code", 11), Column("Project", 32), Column("Period Ending", 12, DATE), Column("Overall RAG", 10),
    Column("Schedule", 9), Column("Cost", 9), Column("Scope", 9), Column("Resources", 9),
    Column("% Complete", 10, PERCENT), Column("Spend to Date (£)", 14, MONEY), Column("Forecast Cost (£)", 14, MONEY),
    Column("Forecast Finish", 12, DATE), Column("Summary", 50), Column("Key Achievements", 50),
    Column("Next Steps", 50), Column("Issues / Blockers", 30), Column("Submitted By", 18),
)


def status_workbook(db: Database, path: str | Path, *, rows: int | None = None,
                    period_end: dt.date | None = None) -> WorkbookInfo:
    """Monthly status returns: one row per project and period, latest periods first chosen.

    ``period_end`` limits the workbook to one period (the usual monthly return); ``rows`` keeps the
    most recent ``rows`` reports (for benchmarks). The workbook holds at most the reports stored.
    """
    query: Select = (
        select(Project.code, Project.name, StatusReport.period_end, StatusReport.rag, StatusReport.schedule_rag,
               StatusReport.cost_rag, StatusReport.scope_rag, StatusReport.resource_rag,
               StatusReport.percent_complete, StatusReport.actual_cost, StatusReport.forecast_cost,
               StatusReport.forecast_end, StatusReport.summary, StatusReport.achievements,
               StatusReport.next_steps, StatusReport.issues, StatusReport.submitted_by)
        .join(Project, Project.id == StatusReport.project_id)
        .order_by(desc(StatusReport.period_end), Project.code)
    )
    if period_end is not None:
        query = query.where(StatusReport.period_end == period_end)
    if rows is not None:
        query = query.limit(rows)

    with db.engine.connect() as conn:
        records = conn.execute(query).all()
    records.sort(key=lambda r: (r[2], r[0]))  # managers list oldest period first, then by code
    data = ((r[0], r[1], r[2], _rag(r[3]), _rag(r[4]), _rag(r[5]), _rag(r[6]), _rag(r[7]), *r[8:]) for r in records)
    period = period_end or (records[-1][2] if records else _as_of(db))
    return _write(path, "Status", STATUS_COLUMNS, f"Monthly Project Status Return – period ending {period:%d/%m/%Y}",
                  "One row per project per month. RAG: Red / Amber / Green. Spend in £ incl. accruals.", data)


# --- RAID log --------------------------------------------------------------------------------------

RAID_COLUMNS = (
    Column("Ref", 8), Column("Proj Code", 11), Column("Type", 11), Column("Title", 40), Column("Description", 50),
    Column("Category", 12), Column("Owner", 18), Column("Date Raised", 12, DATE), Column("Due Date", 12, DATE),
    Column("Prob (1-5)", 8), Column("Impact (1-5)", 8), Column("Score", 7), Column("Status", 11),
    Column("Response", 10), Column("Mitigation / Actions", 50), Column("Escalated To", 12),
    Column("Last Reviewed", 12, DATE),
)


def raid_workbook(db: Database, path: str | Path, *, project_code: str | None = None) -> WorkbookInfo:
    """The RAID log: every item (or one project's), portfolio-level items with "Portfolio" as code."""
    query: Select = (
        select(RaidItem.ref, Project.code, RaidItem.kind, RaidItem.title, RaidItem.description, RaidItem.category,
               RaidItem.owner, RaidItem.raised, RaidItem.due, RaidItem.likelihood, RaidItem.impact,
               RaidItem.status, RaidItem.response, RaidItem.mitigation, RaidItem.escalation,
               RaidItem.last_reviewed)
        .join(Project, Project.id == RaidItem.project_id, isouter=True)
        .order_by(func.coalesce(Project.code, ""), RaidItem.kind, RaidItem.ref)
    )
    if project_code is not None:
        query = query.where(Project.code == project_code)

    def rows():
        with db.engine.connect() as conn:
            for r in conn.execute(query):
                score = r.likelihood * r.impact if r.likelihood and r.impact else None
                yield (r.ref, r.code or "Portfolio", r.kind.capitalize(), r.title, r.description, r.category,
                       r.owner, r.raised, r.due, r.likelihood, r.impact, score,
                       r.status.replace("_", " ").capitalize(), r.response.capitalize() if r.response else None,
                       r.mitigation, None if r.escalation == "project" else r.escalation.capitalize(),
                       r.last_reviewed)

    scope = f"project {project_code}" if project_code else "all projects"
    return _write(path, "RAID Log", RAID_COLUMNS, f"RAID Log – {scope}",
                  "Type: Risk / Assumption / Issue / Dependency. Score = Prob x Impact; 15+ is red.", rows())


# --- resource allocation grid ----------------------------------------------------------------------

ALLOCATION_LEADING = (Column("Name", 22), Column("Role", 18), Column("Team", 20), Column("Proj Code", 11),
                      Column("Project", 30))


def allocation_workbook(db: Database, path: str | Path, *, weeks: int | None = None) -> WorkbookInfo:
    """The resource plan: one row per person and project, one column per week (hours that week).

    Weeks run Monday to Sunday from the first allocated week; ``weeks`` caps how many columns.
    """
    query = (
        select(Person.name, Role.name, Person.team, Project.code, Project.name, Allocation.start_date,
               Allocation.end_date, Allocation.hours_per_week)
        .join(Person, Person.id == Allocation.person_id)
        .join(Project, Project.id == Allocation.project_id)
        .join(Role, Role.id == Person.role_id, isouter=True)
        .order_by(Person.name, Project.code, Allocation.start_date)
    )
    with db.engine.connect() as conn:
        records = conn.execute(query).all()
    if records:
        first = min(r[5] for r in records)
        first -= dt.timedelta(days=first.weekday())
        last = max(r[6] for r in records)
        count = (last - first).days // 7 + 1
    else:
        first, count = dt.date.today() - dt.timedelta(days=dt.date.today().weekday()), 1
    count = min(count, weeks) if weeks else count
    mondays = [first + dt.timedelta(weeks=i) for i in range(count)]
    columns = (*ALLOCATION_LEADING, *(Column(f"w/c {m:%d/%m/%y}", 9) for m in mondays))

    def rows():
        grid: dict[tuple, list] = {}
        for name, role, team, code, project, start, end, hours in records:
            cells = grid.setdefault((name, code), [name, role, team, code, project, *([None] * count)])
            first_week = max(0, (start - first).days // 7)
            last_week = min(count - 1, (end - first).days // 7)
            for week in range(first_week, last_week + 1):
                cells[len(ALLOCATION_LEADING) + week] = (cells[len(ALLOCATION_LEADING) + week] or 0) + hours
        yield from grid.values()

    return _write(path, "Resource Plan", columns, f"Resource Allocation – hours per week from {first:%d/%m/%Y}",
                  "Hours per week by project. Standard week 37.5 h; part-timers pro rata. Blank = not allocated.",
                  rows())


def write_all(db: Database, folder: str | Path) -> list[WorkbookInfo]:
    """All four workbooks into ``folder`` with their usual file names."""
    folder = Path(folder)
    latest = _as_of(db)
    return [
        projects_workbook(db, folder / "Project List.xlsx"),
        status_workbook(db, folder / f"Status Return {latest:%Y-%m}.xlsx", period_end=latest),
        raid_workbook(db, folder / "RAID Log.xlsx"),
        allocation_workbook(db, folder / "Resource Plan.xlsx"),
    ]


__all__ = ["HEADER_ROW", "NOTES_ROW", "TITLE_ROW", "WorkbookInfo", "allocation_workbook", "projects_workbook",
           "raid_workbook", "status_workbook", "write_all"]
