"""Office settings: saved in one audited transaction, validated, and protected against lost updates."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from pmo_desktop.model import AuditEvent, OfficeSettings
from pmo_desktop.model.database import open_database
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.errors import ConflictError, ValidationError
from pmo_desktop.services.settings import read_settings, update_settings, validate_settings


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/office.db", backup=False)
    with database.transaction() as session:
        ensure_defaults(session)
    yield database
    database.dispose()


def _settings_events(db) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "office_settings", AuditEvent.action == "update")
        ))


def test_a_saved_change_is_stored_versioned_and_audited(db):
    with db.session() as session:
        before = read_settings(session)
    with db.transaction() as session:
        new_version = update_settings(session, {"currency": "EUR", "slip_red_days": 60}, before.version)

    assert new_version == before.version + 1
    with db.session() as session:
        stored = session.get(OfficeSettings, 1)
        assert (stored.currency, stored.slip_red_days, stored.version) == ("EUR", 60, new_version)
    [event] = _settings_events(db)
    assert event.changes["currency"] == ["GBP", "EUR"]
    assert event.changes["slip_red_days"] == [45, 60]
    assert event.actor == db.actor


def test_thresholds_out_of_order_are_refused_and_nothing_is_written(db):
    with db.session() as session:
        before = read_settings(session)
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        update_settings(session, {"rag_amber_index": 0.80, "rag_red_index": 0.90, "risk_red_score": 4},
                        before.version)

    assert "amber" in caught.value.for_field("rag_red_index")
    assert caught.value.for_field("risk_red_score") is not None
    with db.session() as session:
        assert read_settings(session) == before
    assert _settings_events(db) == []


def test_a_stale_version_raises_a_conflict_that_shows_both_values(db):
    with db.session() as session:
        stale = read_settings(session)
    with db.transaction() as session:
        update_settings(session, {"currency": "USD"}, stale.version)

    with pytest.raises(ConflictError) as caught, db.transaction() as session:
        update_settings(session, {"currency": "EUR"}, stale.version)
    assert caught.value.mine == {"currency": "EUR"}
    assert caught.value.theirs == {"currency": "USD"}


def test_unknown_fields_are_refused(db):
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        update_settings(session, {"compliance_rules": {}}, None)
    assert caught.value.for_field("compliance_rules")


def test_an_office_without_a_settings_row_gets_one_on_first_save(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/bare.db", backup=False)
    try:
        with database.transaction() as session:
            version = update_settings(session, {"pmo_type": "directive"}, None)
        with database.session() as session:
            assert session.get(OfficeSettings, 1).pmo_type == "directive"
            assert read_settings(session).version == version
    finally:
        database.dispose()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "pounds"}, "currency"),
        ({"office_name": "  "}, "office_name"),
        ({"slip_amber_days": 30, "slip_red_days": 20}, "slip_red_days"),
        ({"escalate_risk_score": 10}, "escalate_risk_score"),
        ({"hours_per_day": 0.5}, "hours_per_day"),
        ({"pmo_type": "dictatorial"}, "pmo_type"),
    ],
)
def test_validation_names_the_field_at_fault(db, change, field):
    with db.session() as session:
        values = read_settings(session).values
    errors = validate_settings(dataclasses.replace(values, **change))
    assert field in {e.field for e in errors}


def test_the_defaults_are_valid(db):
    with db.session() as session:
        assert validate_settings(read_settings(session).values) == []
