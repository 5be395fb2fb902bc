"""Saved mappings: stored per header fingerprint, updated in place, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pmo_desktop.importer.mapping import header_fingerprint
from pmo_desktop.model import AuditEvent, SavedMapping
from pmo_desktop.services.errors import ValidationError
from pmo_desktop.services.mappings import SavedMappings, save_mapping, saved_mapping

HEADERS = ("Proj Code", "Project Name", "Budget (£k)", "Notes")


def test_a_mapping_is_saved_then_found_by_the_fingerprint_of_the_same_headers(db):
    fingerprint = header_fingerprint(HEADERS)
    with db.transaction() as session:
        save_mapping(session, fingerprint, "projects", {"Proj Code": "code", "Notes": None}, "q1.xlsx")
    same_layout = header_fingerprint(("proj code", "PROJECT NAME", "Budget (£k)", "Notes", None))
    with db.session() as session:
        stored = saved_mapping(session, same_layout)
        assert stored is not None
        assert (stored.kind, stored.mapping, stored.sample_file) == (
            "projects", {"Proj Code": "code", "Notes": None}, "q1.xlsx")
        assert saved_mapping(session, header_fingerprint(("Something", "Else"))) is None


def test_saving_again_updates_the_one_row_and_the_audit_trail_shows_both_writes(db):
    fingerprint = header_fingerprint(HEADERS)
    with db.transaction() as session:
        save_mapping(session, fingerprint, "projects", {"Proj Code": "code"}, "q1.xlsx")
    with db.transaction() as session:
        save_mapping(session, fingerprint, "projects", {"Proj Code": "code", "Notes": "description"}, "q2.xlsx")
    with db.session() as session:
        rows = session.scalars(select(SavedMapping)).all()
        assert len(rows) == 1 and rows[0].mapping["Notes"] == "description" and rows[0].version == 2
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "saved_mapping")
                                  .order_by(AuditEvent.id)).all()
        assert list(actions) == ["insert", "update"]


def test_an_unknown_kind_is_refused_in_plain_words(db):
    with db.transaction() as session, pytest.raises(ValidationError, match="not a kind of sheet"):
        save_mapping(session, "abc", "invoices", {}, None)


def test_the_store_saves_many_in_one_transaction_and_finds_them(db):
    class Item:
        def __init__(self, fingerprint, kind):
            self.fingerprint, self.kind, self.mapping, self.sample_file = fingerprint, kind, {"A": "name"}, "x.csv"

    store = SavedMappings(db)
    assert store.save([Item("f1", "projects"), Item("f2", "people")]) == 2
    assert store.find("f2") == ("people", {"A": "name"}, "x.csv")
    assert store.find("missing") is None
    assert store.save([]) == 0
