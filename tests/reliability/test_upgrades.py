"""Upgrades: every committed fixture database (one per released schema revision) opens with this
version of the program, is brought to the newest schema, and keeps every record.

The fixtures and their manifests are written by db/fixtures/make_fixtures.py.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select

from pmo_desktop.model import AuditEvent, ImportBatch, OfficeSettings, Project, RaidItem
from pmo_desktop.model.database import is_at_head, open_database
from pmo_desktop.services.integrity import run_checks

FIXTURES = Path(__file__).resolve().parents[2] / "db" / "fixtures"
DATABASES = sorted(FIXTURES.glob("schema-*.db"))


def test_there_is_a_fixture_for_the_first_schema_revision():
    assert "schema-0001.db" in [p.name for p in DATABASES]


def test_there_is_a_fixture_from_before_the_import_fingerprints():
    assert "schema-0004.db" in [p.name for p in DATABASES]


def test_a_0004_office_keeps_its_records_and_its_next_imports_keep_fingerprints(tmp_path):
    """0005 adds import_fingerprint, empty: the first import after the upgrade fills it and the
    one after that recognises the unchanged rows (the plan the same as in full)."""
    from pmo_desktop.demo.workbooks import status_workbook
    from pmo_desktop.importer.pipeline import import_files
    from pmo_desktop.model import ImportFingerprint

    path = tmp_path / "office.db"
    shutil.copyfile(FIXTURES / "schema-0004.db", path)
    db = open_database(path, backup=False)
    try:
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(ImportFingerprint)) == 0
        book = status_workbook(db, tmp_path / "status.xlsx").path
        first = import_files(db, [book])
        assert not first.file_errors
        with db.session() as session:
            kept = session.scalar(select(func.count()).select_from(ImportFingerprint))
        assert kept == first.plan.counts.new + first.plan.counts.update + first.plan.counts.unchanged > 0
        again = import_files(db, [book], dry_run=True)
        assert [row.row for row in again.plan.rows() if not row.recognised] == []
        assert again.plan.counts.unchanged == kept
        assert run_checks(db).ok
    finally:
        db.dispose()


@pytest.mark.parametrize("fixture", DATABASES, ids=[p.stem for p in DATABASES])
def test_an_old_database_opens_upgraded_with_every_record(fixture, tmp_path):
    manifest = json.loads(fixture.with_suffix(".json").read_text())
    path = tmp_path / "office.db"
    shutil.copyfile(fixture, path)

    db = open_database(path)
    try:
        assert is_at_head(db.engine)
        report = run_checks(db)
        assert report.ok, report.lines()
        metadata = MetaData()
        metadata.reflect(db.engine)
        with db.engine.connect() as conn:
            counts = {name: conn.scalar(select(func.count()).select_from(metadata.tables[name]))
                      for name in manifest["counts"] if name in metadata.tables}
        missing = set(manifest["counts"]) - set(counts)
        assert not missing, f"tables dropped by the upgrade: {sorted(missing)}"
        assert counts == manifest["counts"]

        with db.session() as session:
            expected = manifest["project"]
            project = session.scalars(select(Project).where(Project.code == expected["code"])).one()
            assert (project.name, project.budget, project.stage, project.version) == (
                expected["name"], Decimal(expected["budget"]), expected["stage"], expected["version"])
            risk = session.get(RaidItem, manifest["raid_item"]["id"])
            assert {k: getattr(risk, k) for k in manifest["raid_item"]} == manifest["raid_item"]
            settings = session.get(OfficeSettings, 1)
            assert {k: getattr(settings, k) for k in manifest["settings"]} == manifest["settings"]
            batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
            assert [[b.id, b.file_name, b.status, b.inserted, b.updated] for b in batches] == manifest["batches"]
            first_new_event = session.scalar(select(func.max(AuditEvent.id)))
            old_last = session.scalars(select(AuditEvent.hash).where(AuditEvent.id <= manifest["counts"]["audit_event"])
                                       .order_by(AuditEvent.id.desc()).limit(1)).one()
            assert old_last == manifest["last_audit_hash"], "the audit trail of the old file was rewritten"

        # The upgraded office keeps working: a new edit extends the same chain.
        with db.transaction() as session:
            session.get(Project, project.id).description = "Edited after the upgrade"
        with db.session() as session:
            assert session.scalar(select(func.max(AuditEvent.id))) > first_new_event
        assert run_checks(db).ok
    finally:
        db.dispose()
