"""Stage gates, their criteria, gate reviews with decisions and conditions, and the standards library."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Versioned, enum_check
from .enums import Decision, Methodology, Stage
from .portfolio import Project


class Gate(Versioned, Base):
    """The gate a project passes to move from one stage into the next."""

    __tablename__ = "gate"
    __table_args__ = (
        UniqueConstraint("to_stage"),
        enum_check("from_stage", Stage),
        enum_check("to_stage", Stage),
    )

    name: Mapped[str] = mapped_column(String(120), unique=True)
    from_stage: Mapped[str] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    criteria: Mapped[list[GateCriterion]] = relationship(
        back_populates="gate", cascade="all, delete-orphan", order_by="GateCriterion.position"
    )


class GateCriterion(Versioned, Base):
    """Something a project must show (or may show, when optional) to pass a gate.

    ``methodology`` None puts the criterion on every project's checklist; a methodology value
    puts it only on the checklist of that methodology's projects (an agile project shows a
    prioritised backlog where a waterfall one shows an approved baseline plan).
    """

    __tablename__ = "gate_criterion"
    __table_args__ = (UniqueConstraint("gate_id", "name"), enum_check("methodology", Methodology))

    gate_id: Mapped[int] = mapped_column(ForeignKey("gate.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    methodology: Mapped[str | None] = mapped_column(String(20))

    gate: Mapped[Gate] = relationship(back_populates="criteria")


class GateReview(Versioned, Base):
    """A review of one project at one gate: criterion results, decision and conditions."""

    __tablename__ = "gate_review"
    __table_args__ = (enum_check("decision", Decision),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("gate.id", ondelete="RESTRICT"), index=True)
    review_date: Mapped[dt.date] = mapped_column(index=True)
    reviewers: Mapped[str | None] = mapped_column(String(500))
    decision: Mapped[str] = mapped_column(String(30))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship()
    gate: Mapped[Gate] = relationship()
    results: Mapped[list[GateCriterionResult]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )
    conditions: Mapped[list[GateCondition]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="GateCondition.due"
    )


class GateCriterionResult(Base):
    """Whether a criterion was met at a review, with the evidence (a note, a path or a URL)."""

    __tablename__ = "gate_criterion_result"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    review_id: Mapped[int] = mapped_column(ForeignKey("gate_review.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("gate_criterion.id", ondelete="CASCADE"))
    met: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[str | None] = mapped_column(Text)

    review: Mapped[GateReview] = relationship(back_populates="results")
    criterion: Mapped[GateCriterion] = relationship()


class GateCondition(Versioned, Base):
    """A condition attached to an approval, owned by someone and due by a date."""

    __tablename__ = "gate_condition"

    review_id: Mapped[int] = mapped_column(ForeignKey("gate_review.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    due: Mapped[dt.date | None]
    met_on: Mapped[dt.date | None]

    review: Mapped[GateReview] = relationship(back_populates="conditions")


class StageChange(Base):
    """A project's move between stages, how it happened (gate review or by hand) and why."""

    __tablename__ = "stage_change"
    __table_args__ = (enum_check("from_stage", Stage), enum_check("to_stage", Stage))

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    changed_on: Mapped[dt.date]
    changed_by: Mapped[str | None] = mapped_column(String(200))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("gate_review.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)


class MethodologyStandard(Versioned, Base):
    """The office's standard for a methodology: its milestones and starter RAID items."""

    __tablename__ = "methodology_standard"
    __table_args__ = (enum_check("methodology", Methodology),)

    methodology: Mapped[str] = mapped_column(String(20), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    milestones: Mapped[list[StandardMilestone]] = relationship(
        back_populates="standard", cascade="all, delete-orphan", order_by="StandardMilestone.position"
    )
    starter_raid: Mapped[list[StandardRaidItem]] = relationship(
        back_populates="standard", cascade="all, delete-orphan"
    )


class StandardMilestone(Base):
    """A standard milestone placed at a fraction (0-1) of the project's baseline timeline."""

    __tablename__ = "standard_milestone"
    __table_args__ = (UniqueConstraint("standard_id", "name"),)

    standard_id: Mapped[int] = mapped_column(ForeignKey("methodology_standard.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[float] = mapped_column(default=0.0)

    standard: Mapped[MethodologyStandard] = relationship(back_populates="milestones")


class StandardRaidItem(Base):
    """A RAID item every project of a methodology starts with."""

    __tablename__ = "standard_raid_item"

    standard_id: Mapped[int] = mapped_column(ForeignKey("methodology_standard.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(120))

    standard: Mapped[MethodologyStandard] = relationship(back_populates="starter_raid")
