"""What the first window reads through Core: the office settings and the status bar's figures.

They must say exactly what the ORM would have read: every settings column, and each count.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pmo_desktop.model import GateReview, OfficeSettings, Person, Project, RaidItem, StatusReport
from pmo_desktop.model.database import read_settings_row
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.settings import read_settings, update_settings
from pmo_desktop.ui.main_window.status import month_end, read_status_summary

TODAY = dt.date(2026, 11, 26)


def _columns(row) -> dict:
    return {column.key: getattr(row, column.key) for column in OfficeSettings.__table__.columns}


def test_the_settings_read_through_core_are_the_stored_row(any_db):
    with any_db.transaction() as session:
        ensure_defaults(session)
    with any_db.transaction() as session:
        update_settings(session, {"currency": "EUR", "rag_amber_index": 0.9, "slip_red_days": 60},
                        read_settings(session).version)
    read = any_db.settings()
    with any_db.session() as session:
        stored = session.get(OfficeSettings, 1)
        assert _columns(read) == _columns(stored)
    assert (read.currency, read.currency_symbol, read.rag_amber_index, read.slip_red_days) == ("EUR", "€", 0.9, 60)
    assert read.compliance_rules["missing_status_report"] == {"enabled": True, "grace_days": 5}


def test_an_office_without_a_settings_row_reads_every_default(db):
    with db.session() as session:
        assert session.get(OfficeSettings, 1) is None
        read = read_settings_row(session)
    assert _columns(read) == _columns(OfficeSettings.defaults())
    assert read.currency_symbol == "£" and read.hours_per_day == 7.5


def test_the_settings_read_cannot_be_changed(db):
    read = db.settings()
    with pytest.raises(AttributeError):
        read.currency = "USD"
    with pytest.raises(AttributeError):
        read.no_such_setting  # noqa: B018 - the attribute access is what is tested
    assert read.currency == "GBP"


def test_the_status_bar_counts_what_the_office_holds(ctx):
    from pmo_desktop.demo import build_demo

    build_demo(ctx.db, today=TODAY)
    with ctx.db.session() as session:
        people = session.scalars(select(Person)).all()
        raid = session.scalars(select(RaidItem)).all()
        expected = (
            max(r.period_end for r in session.scalars(select(StatusReport))),
            len(session.scalars(select(Project)).all()),
            sum(p.active for p in people),
            sum(r.status != "closed" for r in raid),
            len(session.scalars(select(GateReview)).all()),
        )
        assert 0 < expected[2] < len(people) or 0 < expected[3] < len(raid)  # some rows are left out
        from_session = read_status_summary(session, TODAY)
    with ctx.db.engine.connect() as connection:
        from_connection = read_status_summary(connection, TODAY)
    for summary in (from_session, from_connection):
        assert summary.period_from_reports
        assert (summary.period_end, summary.projects, summary.people, summary.open_raid_items,
                summary.gate_reviews) == expected


def test_without_reports_the_status_bar_shows_this_months_end(ctx):
    summary = ctx.read(read_status_summary, TODAY)
    assert (summary.period_end, summary.period_from_reports, summary.projects) == (month_end(TODAY), False, 0)
