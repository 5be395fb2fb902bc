"""Import batches (one per applied file) and mappings saved per header fingerprint."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Versioned, enum_check, utcnow
from .enums import BatchStatus, ImportKind


class ImportBatch(Base):
    """One applied import: what file, what it changed, and whether it was undone."""

    __tablename__ = "import_batch"
    __table_args__ = (enum_check("status", BatchStatus),)

    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str | None] = mapped_column(String(200))
    mapping: Mapped[dict | None] = mapped_column(JSON)
    imported_by: Mapped[str | None] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.APPLIED.value)
    undone_at: Mapped[dt.datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class SavedMapping(Versioned, Base):
    """The column mapping a coordinator confirmed for a header layout, reused next time."""

    __tablename__ = "saved_mapping"
    __table_args__ = (enum_check("kind", ImportKind),)

    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # source header -> canonical field (or null for an ignored column)
    mapping: Mapped[dict] = mapped_column(JSON)
    sample_file: Mapped[str | None] = mapped_column(String(500))
    saved_by: Mapped[str | None] = mapped_column(String(200))


class Datamap(Versioned, Base):
    """Fixed-layout return harvesting: canonical or custom field -> sheet and cell."""

    __tablename__ = "datamap"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    # list of {"field": ..., "sheet": ..., "cell": ..., "canonical": bool}
    entries: Mapped[list] = mapped_column(JSON)


class ImportFingerprint(Base):
    """What the last import of a record's row looked like, so that the same row read again is
    known unchanged without parsing or comparing it (importer/fingerprints.py).

    One per kind and natural key: the hash of the row's raw cells together with what decides how
    they are read (the sheet's columns and their mapping, the parse options, the program's
    version), the record the row was applied to, that record's version then, and the last audit
    event that record had seen (``audit_mark``). A row read again with the same hash is unchanged
    only while its record still has that version and no audit event after the mark; anything else
    is planned in full, as if there were no fingerprint.

    This is derived data, not office data: it is never shown, never edited, and every row of it
    can be dropped at any time at the cost of one slower re-import. So its writes leave no audit
    events (they would double the audit trail of every import and record nothing a coordinator
    could review or undo); they are written in the transaction of the import batch that makes
    them and removed with it when that batch is undone.
    """

    __tablename__ = "import_fingerprint"
    __table_args__ = (UniqueConstraint("kind", "natural_key"),)

    kind: Mapped[str] = mapped_column(String(20))
    natural_key: Mapped[str] = mapped_column(Text)
    """The row's natural key as text (importer.plan.natural_key_text)."""
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    """The row's hash (importer.fingerprints.row_fingerprint); rows are looked up by it first."""
    entity_id: Mapped[int] = mapped_column(Integer)
    """The id of the record the row was applied to, in the kind's table."""
    version: Mapped[int] = mapped_column(Integer)
    """The record's version once the batch was applied."""
    audit_mark: Mapped[int] = mapped_column(Integer)
    """The last audit event id the record had seen when the fingerprint was taken (0: none)."""
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
