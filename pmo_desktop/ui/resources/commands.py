"""Undoable create, update and delete of one row, built on ``run_undoable``.

Each helper keeps what the next step needs (the row's id, its version, the snapshot of a
deletion) in a small object, so that undo and redo can run any number of times: undoing a
creation deletes the row and keeps its snapshot, and redoing it restores that snapshot, so the
row keeps its id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ...model.enums import PmoType
from ...services.resources import update_allocation
from ...services.staffing import assign, undo_assign
from ..context import AppContext
from ..undo import run_undoable


class Saved(Protocol):
    id: int
    version: int


class _Creation:
    def __init__(self, create: Callable[[Session], Saved], delete: Callable[[Session, int], Any],
                 restore: Callable[[Session, Any], int]):
        self._create, self._delete, self._restore = create, delete, restore
        self._row_id: int | None = None
        self._snapshot: Any = None

    def do(self, session: Session) -> Any:
        if self._snapshot is None:
            saved = self._create(session)
            self._row_id = saved.id
            return saved
        self._row_id = self._restore(session, self._snapshot)
        return self._row_id

    def undo(self, session: Session, _result: Any) -> None:
        assert self._row_id is not None
        self._snapshot = self._delete(session, self._row_id)


class _Update:
    def __init__(self, update: Callable[[Session, int, Any, int | None], Any], row_id: int, data: Any,
                 version: int | None):
        self._update, self._row_id, self._data, self._version = update, row_id, data, version
        self._before: Any = None

    def do(self, session: Session) -> Any:
        saved = self._update(session, self._row_id, self._data, self._version)
        self._version = saved.version
        if self._before is None:
            self._before = saved.before
        return saved

    def undo(self, session: Session, _result: Any) -> None:
        restored = self._update(session, self._row_id, self._before, self._version)
        self._version = restored.version


class _Deletion:
    def __init__(self, delete: Callable[[Session, int, int | None], Any], restore: Callable[[Session, Any], int],
                 row_id: int, version: int | None):
        self._delete, self._restore, self._row_id, self._version = delete, restore, row_id, version

    def do(self, session: Session) -> Any:
        # Restore puts the same version back, so the check holds on every redo too.
        return self._delete(session, self._row_id, self._version)

    def undo(self, session: Session, snapshot: Any) -> None:
        self._restore(session, snapshot)


def undoable_create(ctx: AppContext, text: str, entity: str, create: Callable[[Session], Saved],
                    delete: Callable[[Session, int], Any], restore: Callable[[Session, Any], int]) -> Saved:
    """Create a row now; undo deletes it, redo restores it with the same id."""
    command = _Creation(create, delete, restore)
    return run_undoable(ctx, text, command.do, command.undo, entity=entity)


def undoable_update(ctx: AppContext, text: str, entity: str,
                    update: Callable[[Session, int, Any, int | None], Any], row_id: int, data: Any,
                    version: int | None) -> Any:
    """Save ``data`` over a row at ``version`` now; undo puts back the values it had before."""
    command = _Update(update, row_id, data, version)
    return run_undoable(ctx, text, command.do, command.undo, entity=entity)


def undoable_delete(ctx: AppContext, text: str, entity: str, delete: Callable[[Session, int, int | None], Any],
                    restore: Callable[[Session, Any], int], row_id: int, version: int | None) -> Any:
    """Delete a row now; undo restores it exactly from the snapshot the delete returned."""
    command = _Deletion(delete, restore, row_id, version)
    return run_undoable(ctx, text, command.do, command.undo, entity=entity)


class _AllocationUpdate:
    """Save new values over an allocation; undo puts the old ones back.

    ``refuse`` (a directive PMO) applies to the edit only: undo always restores what was there.
    ``touched`` is told which people's hours changed after each write succeeds (and before the
    transaction's change notice goes out), so that a refused edit leaves no stale note behind.
    """

    def __init__(self, allocation_id: int, data: Any, version: int | None, old_person_id: int | None,
                 refuse: bool, touched: Callable[[set[int]], None] | None):
        self._id, self._data, self._version = allocation_id, data, version
        self._people = {p for p in (old_person_id, data.person_id) if p is not None}
        self._refuse, self._touched = refuse, touched
        self._before: Any = None

    def _tell(self) -> None:
        if self._touched is not None:
            self._touched(self._people)

    def do(self, session: Session) -> Any:
        saved = update_allocation(session, self._id, self._data, self._version,
                                  refuse_over_allocation=self._refuse)
        self._tell()
        self._version = saved.version
        if self._before is None:
            self._before = saved.before
        return saved

    def undo(self, session: Session, _result: Any) -> None:
        self._version = update_allocation(session, self._id, self._before, self._version).version
        self._tell()


def undoable_allocation_update(ctx: AppContext, text: str, allocation_id: int, data: Any, version: int | None, *,
                               old_person_id: int | None = None, refuse_over_allocation: bool = False,
                               touched: Callable[[set[int]], None] | None = None) -> Any:
    """Save an allocation's new values now (possibly moving it to another person or project); undoable.

    With ``refuse_over_allocation`` an edit that over-allocates the person raises ValidationError
    and nothing is written or pushed.
    """
    command = _AllocationUpdate(allocation_id, data, version, old_person_id, refuse_over_allocation, touched)
    return run_undoable(ctx, text, command.do, command.undo, entity="allocation")


def refuses_over_allocation(ctx: AppContext) -> bool:
    """True in a directive PMO, where over-allocating someone is refused rather than warned about."""
    try:
        return PmoType(ctx.settings.pmo_type) is PmoType.DIRECTIVE
    except ValueError:
        return False


class _Assignment:
    """Staff a demand; undo deletes the allocation and gives the demand back its hours.

    Redo assigns again against the demand's version after the undo, so the pair can run any
    number of times. ``refuse`` (a directive PMO) applies to every assignment, redo included.
    """

    def __init__(self, demand_id: int, person_id: int, hours: float | None, version: int | None, refuse: bool):
        self._demand_id, self._person_id, self._hours = demand_id, person_id, hours
        self._version, self._refuse = version, refuse

    def do(self, session: Session) -> Any:
        return assign(session, self._demand_id, self._person_id, self._hours, self._version,
                      refuse_over_allocation=self._refuse)

    def undo(self, session: Session, done: Any) -> None:
        self._version = undo_assign(session, done)


def undoable_assign(ctx: AppContext, text: str, demand_id: int, person_id: int, hours_per_week: float | None,
                    version: int | None, *, refuse_over_allocation: bool = False) -> Any:
    """Turn a demand (whole or in part) into the person's allocation now; undo restores the demand.

    Raises the service's ValidationError or ConflictError (nothing written or pushed) when it
    cannot be done.
    """
    command = _Assignment(demand_id, person_id, hours_per_week, version, refuse_over_allocation)
    return run_undoable(ctx, text, command.do, command.undo, entity="allocation")
