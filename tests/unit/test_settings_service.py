"""Office settings: saved in one audited transaction, validated, and protected against lost updates."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from pmo_desktop.model import AuditEvent, OfficeSettings
from pmo_desktop.services.defaults import ensure_defaults
from pmo_desktop.services.errors import ConflictError, ValidationError
from pmo_desktop.services.settings import read_settings, update_settings, validate_settings


@pytest.fixture
def office(db):
    """The shared empty database, with the defaults an office starts with."""
    with db.transaction() as session:
        ensure_defaults(session)
    return db


def _settings_events(db) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "office_settings", AuditEvent.action == "update")
        ))


def test_a_saved_change_is_stored_versioned_and_audited(office):
    with office.session() as session:
        before = read_settings(session)
    with office.transaction() as session:
        new_version = update_settings(session, {"currency": "EUR", "slip_red_days": 60}, before.version)

    assert new_version == before.version + 1
    with office.session() as session:
        stored = session.get(OfficeSettings, 1)
        assert (stored.currency, stored.slip_red_days, stored.version) == ("EUR", 60, new_version)
    [event] = _settings_events(office)
    assert event.changes["currency"] == ["GBP", "EUR"]
    assert event.changes["slip_red_days"] == [45, 60]
    assert event.actor == office.actor


def test_thresholds_out_of_order_are_refused_and_nothing_is_written(office):
    with office.session() as session:
        before = read_settings(session)
    with pytest.raises(ValidationError) as caught, office.transaction() as session:
        update_settings(session, {"rag_amber_index": 0.80, "rag_red_index": 0.90, "risk_red_score": 4},
                        before.version)

    assert "amber" in caught.value.for_field("rag_red_index")
    assert caught.value.for_field("risk_red_score") is not None
    with office.session() as session:
        assert read_settings(session) == before
    assert _settings_events(office) == []


def test_a_stale_version_raises_a_conflict_that_shows_both_values(office):
    with office.session() as session:
        stale = read_settings(session)
    with office.transaction() as session:
        update_settings(session, {"currency": "USD"}, stale.version)

    with pytest.raises(ConflictError) as caught, office.transaction() as session:
        update_settings(session, {"currency": "EUR"}, stale.version)
    assert caught.value.mine == {"currency": "EUR"}
    assert caught.value.theirs == {"currency": "USD"}


def test_unknown_fields_are_refused(office):
    with pytest.raises(ValidationError) as caught, office.transaction() as session:
        update_settings(session, {"compliance_rules": {}}, None)
    assert caught.value.for_field("compliance_rules")


def test_an_office_without_a_settings_row_gets_one_on_first_save(db):
    with db.transaction() as session:
        version = update_settings(session, {"pmo_type": "directive"}, None)
    with db.session() as session:
        assert session.get(OfficeSettings, 1).pmo_type == "directive"
        assert read_settings(session).version == version


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
def test_validation_names_the_field_at_fault(office, change, field):
    with office.session() as session:
        values = read_settings(session).values
    errors = validate_settings(dataclasses.replace(values, **change))
    assert field in {e.field for e in errors}


def test_the_defaults_are_valid(office):
    with office.session() as session:
        assert validate_settings(read_settings(session).values) == []
