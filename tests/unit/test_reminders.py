"""Reminders for managers: the workbook grouped by manager, its email texts, and `pmo-desktop reminders`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from pmo_desktop import cli
from pmo_desktop.analytics import governance as cg
from pmo_desktop.analytics.governance import ComplianceException
from pmo_desktop.model import Project, RaidItem
from pmo_desktop.model.database import open_database
from pmo_desktop.reports.reminders import TableExportError, reminder_lines, write_reminders
from pmo_desktop.services.defaults import ensure_defaults

TODAY = dt.date(2026, 11, 26)


def exception(rule: str, code: str, manager: str | None, detail: str, since=dt.date(2026, 11, 1),
              name: str = "Project") -> ComplianceException:
    return ComplianceException(rule, 1, code, name, manager, since, detail, "Do the thing")


EXCEPTIONS = [
    exception(cg.GATE_CONDITIONS_OVERDUE, "B-2", "Zoe Price", "Condition \"Budget confirmed\" overdue"),
    exception(cg.RAID_OVERDUE, "B-2", "Zoe Price", "Risk R001 overdue", since=dt.date(2026, 10, 1)),
    exception(cg.MISSING_REPORT, "A-1", "alex Morgan", "No status report for October 2026",
              name="=HYPERLINK(\"http://x\")"),
    exception(cg.RAID_OVERDUE, "C-3", None, "Issue I004 overdue"),
    # Not something a manager is reminded of: left out.
    exception(cg.REQUIRED_FIELDS, "A-1", "alex Morgan", "Missing sponsor"),
]


def test_lines_are_grouped_by_manager_and_kind():
    lines = reminder_lines(EXCEPTIONS)
    assert list(lines) == ["alex Morgan", "Zoe Price", cg.NO_MANAGER]
    zoe = lines["Zoe Price"]
    assert [line.heading for line in zoe] == ["Overdue RAID actions", "Gate conditions to meet"]
    assert [line.detail for line in lines["alex Morgan"]] == ["No status report for October 2026"]


def test_workbook_by_manager_and_email_text(tmp_path):
    result = write_reminders(tmp_path / "reminders.xlsx", EXCEPTIONS, TODAY)
    assert (result.managers, result.items) == (3, 4)
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames == ["By manager", "Email text"]
    ws = wb["By manager"]
    assert ws["A1"].value == "Reminders for project managers"
    assert ws["A2"].value == "As of 26 Nov 2026: 4 items for 3 managers"
    assert [c.value for c in ws[4]] == ["Manager", "What is owed", "Project", "Project name", "Since",
                                        "What happened", "What clears it"]
    assert (ws["A5"].value, ws["B5"].value) == ("alex Morgan", "1 item outstanding")
    assert ws["C6"].value == "A-1" and ws["E6"].value == dt.datetime(2026, 11, 1)
    # A project name that looks like a formula stays text.
    assert ws["D6"].value == "=HYPERLINK(\"http://x\")" and ws["D6"].data_type == "s"
    assert (ws["A7"].value, ws["B7"].value) == ("Zoe Price", "2 items outstanding")
    assert [ws["B8"].value, ws["B9"].value] == ["Overdue RAID actions", "Gate conditions to meet"]
    assert ws.freeze_panes == "A5"
    texts = wb["Email text"]
    assert texts["A5"].value == "alex Morgan" and texts["B5"].value == 1
    assert texts["C6"].value == cg.manager_reminders(EXCEPTIONS, TODAY)[1].text
    assert texts["C6"].value.startswith("Zoe Price: 2 items outstanding as of 26 Nov 2026")


def test_unwritable_folder_is_a_clear_error(tmp_path):
    with pytest.raises(TableExportError, match="Cannot write in"):
        write_reminders(tmp_path / "missing" / "reminders.xlsx", EXCEPTIONS, TODAY)


@pytest.fixture
def office_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    db = open_database(url, backup=False)
    with db.transaction() as session:
        ensure_defaults(session)
        project = Project(code="ERP-1", name="ERP", stage="idea", manager="Sam Hill", budget=Decimal(1))
        session.add(project)
        session.flush()
        session.add(RaidItem(project_id=project.id, scope_key=str(project.id), ref="R001", kind="issue",
                             title="Vendor contract unsigned", owner="Sam Hill", due=dt.date(2026, 11, 20)))
    db.dispose()
    return url


def test_cli_writes_the_workbook_and_prints_text(office_url, tmp_path, capsys):
    out = tmp_path / "owed.xlsx"
    assert cli.main(["reminders", "--database", office_url, "--today", "2026-11-26", str(out)]) == cli.EXIT_OK
    assert "Reminders for 1 manager (1 item) written to" in capsys.readouterr().out
    ws = openpyxl.load_workbook(out)["By manager"]
    assert (ws["A6"].value, ws["C6"].value) == ("Sam Hill", "ERP-1")
    assert cli.main(["reminders", "--database", office_url, "--today", "2026-11-26", "--text"]) == cli.EXIT_OK
    text = capsys.readouterr().out
    assert text.startswith("Sam Hill: 1 item outstanding as of 26 Nov 2026")
    assert "Vendor contract unsigned" in text


def test_cli_refuses_a_file_that_is_not_xlsx(office_url, capsys):
    assert cli.main(["reminders", "--database", office_url, "owed.csv"]) == cli.EXIT_BAD_INPUT
    assert "must end in .xlsx" in capsys.readouterr().err
    assert cli.main(["reminders", "--database", office_url]) == cli.EXIT_BAD_INPUT
