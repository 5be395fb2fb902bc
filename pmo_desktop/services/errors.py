"""Failures a coordinator can act on, raised by services and shown by the UI and CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field that did not pass validation, and why, in plain words."""

    field: str
    message: str


class ServiceError(Exception):
    """Base of the errors a user is shown as a message, not a crash dialog."""


class ValidationError(ServiceError):
    """One or more fields are invalid; nothing was written."""

    def __init__(self, errors: list[FieldError] | FieldError):
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def for_field(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)


@dataclass
class ConflictError(ServiceError):
    """The record changed since it was read: someone else saved it first.

    ``mine`` holds the values this user tried to save, ``theirs`` what is stored now, so that
    the UI can show both and let the user choose.
    """

    entity: str
    entity_id: int
    mine: dict = field(default_factory=dict)
    theirs: dict = field(default_factory=dict)
    deleted: bool = False

    def __post_init__(self) -> None:
        what = "deleted" if self.deleted else "changed"
        Exception.__init__(self, f"This {self.entity} was {what} by someone else since you opened it.")


class NotFoundError(ServiceError):
    """The record asked for does not exist (any more)."""


class RuleError(ServiceError):
    """An office rule forbids the change (e.g. a directive PMO refusing a hand stage change)."""
