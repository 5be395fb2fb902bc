"""Helpers every service shares: load for edit, apply a change set with a version check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..model.audit import jsonable
from ..model.base import Base
from .errors import ConflictError, NotFoundError

T = TypeVar("T", bound=Base)


def text_or_none(value: Any) -> str | None:
    """``value`` as text without surrounding blanks; None when that leaves nothing."""
    if value is None:
        return None
    return str(value).strip() or None


def get_or_raise(session: Session, model: type[T], entity_id: int) -> T:
    obj = session.get(model, entity_id)
    if obj is None:
        raise NotFoundError(f"{model.__name__} {entity_id} no longer exists.")
    return obj


def snapshot(obj: Base, fields: list[str] | None = None) -> dict[str, Any]:
    """The stored values of ``fields`` (all columns by default) as plain values."""
    keys = fields or [c.key for c in obj.__mapper__.column_attrs]
    return {k: getattr(obj, k) for k in keys}


def apply_changes(session: Session, model: type[T], entity_id: int, changes: Mapping[str, Any],
                  expected_version: int | None) -> T:
    """Set ``changes`` on the row if it is still at ``expected_version``; else raise ConflictError.

    The version check happens twice: here against what is stored now (so the user sees what
    the other person saved), and again by SQLAlchemy's version_id_col in the UPDATE itself
    (so a save racing another process can never overwrite it).
    """
    obj = session.get(model, entity_id, populate_existing=True)
    if obj is None:
        raise ConflictError(model.__tablename__, entity_id, dict(changes), {}, deleted=True)
    current_version = getattr(obj, "version", None)
    if expected_version is not None and current_version != expected_version:
        theirs = {k: jsonable(getattr(obj, k)) for k in changes}
        raise ConflictError(model.__tablename__, entity_id, {k: jsonable(v) for k, v in changes.items()}, theirs)
    for key, value in changes.items():
        setattr(obj, key, value)
    flush_or_conflict(session, obj)
    return obj


def flush_or_conflict(session: Session, obj: Base) -> None:
    """Flush, turning a lost race on the version column into a ConflictError."""
    # Read these first: after a failed flush the session rolls back and the object is expired.
    entity, entity_id = obj.__tablename__, obj.id
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(entity, entity_id, {}, {}) from exc
