"""Lists of names the UI and the templates offer as choices (project codes, people, programmes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Person, Programme, Project, Stage


def project_codes(session: Session, *, open_only: bool = True) -> list[str]:
    query = select(Project.code).order_by(Project.code)
    if open_only:
        query = query.where(Project.stage.not_in([Stage.CLOSED.value, Stage.CANCELLED.value]))
    return list(session.scalars(query))


def people_names(session: Session) -> list[str]:
    return list(session.scalars(select(Person.name).where(Person.active.is_(True)).order_by(Person.name)))


def programme_names(session: Session) -> list[str]:
    return list(session.scalars(select(Programme.name).order_by(Programme.name)))
