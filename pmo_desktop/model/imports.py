"""Import batches (one per applied file) and mappings saved per header fingerprint."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String, Text
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
