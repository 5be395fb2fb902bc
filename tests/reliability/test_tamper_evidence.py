"""Tamper evidence: `pmo-desktop check` names the first broken link of the audit chain, on
SQLite and on PostgreSQL, whether an event was edited, removed or the trail cut short."""

from __future__ import annotations

import contextlib
import io

import pytest
from sqlalchemy import text

from pmo_desktop import cli
from pmo_desktop.model import Programme


def _check(db) -> tuple[int, str]:
    """Run `pmo-desktop check` on ``db`` as a script would; its exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(["check", "--database", db.url.render_as_string(hide_password=False)])
    return code, out.getvalue()


def _five_events(db) -> None:
    with db.transaction() as session:
        for i in range(5):
            session.add(Programme(name=f"Programme {i}"))


def _tamper(db, statement: str) -> None:
    """Someone edits the trail directly in the database, bypassing the program."""
    with db.engine.begin() as conn:
        conn.execute(text(statement))


def test_an_untouched_trail_passes(any_db):
    _five_events(any_db)
    code, printed = _check(any_db)
    assert code == cli.EXIT_OK, printed
    assert "5 events, every link verified" in printed


@pytest.mark.parametrize(("statement", "expected"), [
    ("UPDATE audit_event SET actor = 'mallory' WHERE id = 3", "broken at event 3"),
    ("UPDATE audit_event SET changes = '{\"name\": [null, \"Programme X\"]}' WHERE id = 2", "broken at event 2"),
    ("DELETE FROM audit_event WHERE id = 4", "broken at event 5"),
    ("DELETE FROM audit_event WHERE id = 5", "the chain head says 5 events but 4 are stored"),
], ids=["edited actor", "edited change", "removed event", "last event removed"])
def test_check_reports_the_first_broken_link(any_db, statement, expected):
    _five_events(any_db)
    _tamper(any_db, statement)
    code, printed = _check(any_db)
    assert code == cli.EXIT_PROBLEMS
    assert "[FAIL] audit chain" in printed
    assert expected in printed, printed
