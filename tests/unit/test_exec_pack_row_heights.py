"""The executive pack's wrapped rows are tall enough for every line LibreOffice prints in them.

The line counts below were read from LibreOffice 7.4's PDF of a workbook holding these texts in
wrapped cells of these widths (fonts: DejaVu Sans for the workbook's Calibri, as on a machine
without Calibri or Carlito).
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from pmo_desktop.model.database import open_database
from pmo_desktop.reports.exec_pack import wrapped_lines, write_exec_pack

TODAY = dt.date(2026, 11, 26)
LINE_PT = 12.8
"""The height of a line of 11-point DejaVu Sans as LibreOffice prints it."""
GATE_WIDTH = 18
PRINTED = [
    ("G1 Business case (Idea → Business case)", GATE_WIDTH, 3),
    ("G2 Investment approval (Business case → Approved)", GATE_WIDTH, 3),
    ("G3 Mobilisation (Approved → Planning)", GATE_WIDTH, 3),
    ("G4 Execution (Planning → Execution)", GATE_WIDTH, 3),
    ("G5 Handover (Execution → Closing)", GATE_WIDTH, 2),
    ("G6 Closure (Closing → Closed)", GATE_WIDTH, 2),
    ("Unbroken" + "X" * 80, 18, 6),
    ("Unbroken" + "X" * 80, 32, 3),
    ("Supercalifragilisticexpialidocious-and-more-words here", 18, 3),
    ("Contact Centre Telephony Replacement Phase 2", 18, 3),
    ("Contact Centre Telephony Replacement Phase 2", 26, 2),
    ("Contact Centre Telephony Replacement Phase 2", 48, 1),
    ('G4 Execution condition "Agree the support model with the service desk before go-live", owner Callum '
     "Owen, was due 26 May 2026, 184 days overdue", 44, 3),
    ("Agree the support model with the service desk before go-live. (owner Emily MacDonald, due 12 Dec 2026, "
     "open)\nConfirm named business testers. (owner Anita Kowalski, due 17 Dec 2026, open)", 48, 4),
]


@pytest.mark.parametrize(("text", "width", "printed"), PRINTED)
def test_a_wrapped_cell_is_given_every_line_libreoffice_prints(text, width, printed):
    assert printed <= wrapped_lines(text, width) <= printed + 1


@pytest.fixture(scope="module")
def governance(tmp_path_factory):
    from pmo_desktop.demo import build_demo

    folder = tmp_path_factory.mktemp("heights")
    db = open_database(f"sqlite:///{folder / 'office.db'}", backup=False)
    build_demo(db, today=TODAY)
    try:
        path = write_exec_pack(db, folder / "pack.xlsx", as_of=TODAY, sections=("Governance",)).path
    finally:
        db.dispose()
    return load_workbook(path)["Gate decisions"]


def test_each_gate_decision_row_holds_its_gate_whole(governance):
    lines = {text: printed for text, width, printed in PRINTED if width == GATE_WIDTH}
    table = governance.tables["GateDecisions"]
    first, last = (int("".join(filter(str.isdigit, ref))) for ref in table.ref.split(":"))
    header = [cell.value for cell in governance[first]]
    gate = header.index("Gate") + 1
    assert governance.column_dimensions["D"].width == GATE_WIDTH and gate == 4
    checked = 0
    for row in range(first + 1, last + 1):
        label = governance.cell(row, gate).value
        if label in lines:
            height = governance.row_dimensions[row].height or 15
            assert height >= LINE_PT * lines[label], (row, label, height)
            checked += 1
    assert checked >= 10
