"""Column mappings remembered per header layout, so a manager's next file imports in one click.

A layout is identified by its header fingerprint (``importer.mapping.header_fingerprint``): the
same headers in the same order, whatever their case, spacing or later weeks of a time grid. The
mapping stored for it is the one the coordinator confirmed: source header -> canonical field, or
None for a column they chose to ignore. Writes go through the ORM, so the audit trail records
every saved or changed mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import SavedMapping
from ..model.database import Database
from ..model.enums import ImportKind
from .errors import FieldError, ValidationError

MAX_SAMPLE_FILE = 500


def saved_mapping(session: Session, fingerprint: str) -> SavedMapping | None:
    """The mapping saved for header layout ``fingerprint``, or None."""
    return session.scalar(select(SavedMapping).where(SavedMapping.fingerprint == fingerprint))


def save_mapping(session: Session, fingerprint: str, kind: str, mapping: Mapping[str, str | None],
                 sample_file: str | None, *, saved_by: str | None = None) -> SavedMapping:
    """Remember ``mapping`` for ``fingerprint`` (insert, or update the one saved before).

    ``kind`` must be one of the importer's kinds (ValidationError otherwise); ``sample_file`` is
    the name of the file the mapping was confirmed on, shown later as "saved from ...".
    """
    if kind not in {k.value for k in ImportKind}:
        raise ValidationError(FieldError("kind", f"{kind!r} is not a kind of sheet this program imports"))
    stored = saved_mapping(session, fingerprint)
    values = {"kind": kind, "mapping": dict(mapping),
              "sample_file": (sample_file or None) and sample_file[:MAX_SAMPLE_FILE], "saved_by": saved_by}
    if stored is None:
        stored = SavedMapping(fingerprint=fingerprint, **values)
        session.add(stored)
    else:
        for name, value in values.items():
            if getattr(stored, name) != value:
                setattr(stored, name, value)
    session.flush()
    return stored


class SavedMappings:
    """Saved mappings of one database, as the import session looks them up and stores them."""

    def __init__(self, db: Database):
        self.db = db

    def find(self, fingerprint: str) -> tuple[str, dict[str, str | None], str | None] | None:
        """(kind, mapping, sample file) saved for ``fingerprint``, or None."""
        with self.db.session() as session:
            stored = saved_mapping(session, fingerprint)
            if stored is None:
                return None
            return stored.kind, dict(stored.mapping or {}), stored.sample_file

    def save(self, mappings: Iterable[Any]) -> int:
        """Store every mapping in one audited transaction; return how many were given.

        Each item has ``fingerprint``, ``kind``, ``mapping`` and ``sample_file`` (the import
        session's ``MappingToSave``).
        """
        items = list(mappings)
        if not items:
            return 0
        with self.db.transaction() as session:
            for item in items:
                save_mapping(session, item.fingerprint, item.kind, item.mapping, item.sample_file,
                             saved_by=self.db.actor)
        return len(items)
