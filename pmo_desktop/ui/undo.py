"""Undoable edits: each is a pair of service calls run in their own audited transactions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand
from sqlalchemy.orm import Session

from ..services.errors import ServiceError
from .context import AppContext

DoFn = Callable[[Session], Any]
UndoFn = Callable[[Session, Any], Any]


class ServiceCommand(QUndoCommand):
    """Redo runs ``do(session)``; undo runs ``undo(session, result_of_do)``.

    A redo after an undo runs ``do`` again, so services must take what they need (ids and
    versions) from the result they are given rather than from stale closures.
    """

    def __init__(self, ctx: AppContext, text: str, do: DoFn, undo: UndoFn, entity: str, result: Any):
        super().__init__(text)
        self._ctx = ctx
        self._do = do
        self._undo = undo
        self._entity = entity
        self._result = result
        self._first_redo = True

    def redo(self) -> None:
        if self._first_redo:  # the edit already ran when the command was pushed
            self._first_redo = False
            return
        self._run(lambda session: self._do(session), store=True)

    def undo(self) -> None:
        result = self._result
        self._run(lambda session: self._undo(session, result), store=False)

    def _run(self, fn: DoFn, *, store: bool) -> None:
        try:
            value = self._ctx.write(fn, entity=self._entity)
        except ServiceError as exc:
            # The stored data moved on (someone else edited it): the history no longer applies.
            self.setObsolete(True)
            self._ctx.error_raised.emit(exc)
            return
        if store:
            self._result = value


def run_undoable(ctx: AppContext, text: str, do: DoFn, undo: UndoFn, *, entity: str) -> Any:
    """Run ``do`` now (errors propagate, nothing is pushed) and push it onto the undo stack."""
    result = ctx.write(do, entity=entity)
    ctx.undo_stack.push(ServiceCommand(ctx, text, do, undo, entity, result))
    return result
