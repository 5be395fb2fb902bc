"""Programmes, projects, milestones, status reports, strategic scoring and scenarios."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Versioned, enum_check, range_check
from .enums import Methodology, MilestoneStatus, Rag, Stage

_RAG_COLUMNS = ("rag", "schedule_rag", "cost_rag", "scope_rag", "resource_rag")


class Programme(Versioned, Base):
    """A group of related projects with a common sponsor and goals."""

    __tablename__ = "programme"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    sponsor: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)

    projects: Mapped[list[Project]] = relationship(back_populates="programme")


class Project(Versioned, Base):
    """A project or proposal in the portfolio, keyed by its code."""

    __tablename__ = "project"
    __table_args__ = (
        enum_check("stage", Stage),
        enum_check("methodology", Methodology),
        *(enum_check(col, Rag) for col in _RAG_COLUMNS),
        range_check("percent_complete", 0, 1),
        range_check("priority", 1, 9),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_not_negative"),
        CheckConstraint(
            "baseline_start IS NULL OR baseline_end IS NULL OR baseline_end >= baseline_start",
            name="baseline_in_order",
        ),
        Index("ix_project_stage", "stage"),
        Index("ix_project_rag", "rag"),
        Index("ix_project_manager", "manager"),
    )

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="SET NULL"), index=True)
    sponsor: Mapped[str | None] = mapped_column(String(200))
    manager: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    stage: Mapped[str] = mapped_column(String(20), default=Stage.IDEA.value)
    rag: Mapped[str | None] = mapped_column(String(1))
    schedule_rag: Mapped[str | None] = mapped_column(String(1))
    cost_rag: Mapped[str | None] = mapped_column(String(1))
    scope_rag: Mapped[str | None] = mapped_column(String(1))
    resource_rag: Mapped[str | None] = mapped_column(String(1))
    priority: Mapped[int | None]
    methodology: Mapped[str | None] = mapped_column(String(20))
    baseline_start: Mapped[dt.date | None]
    baseline_end: Mapped[dt.date | None]
    forecast_start: Mapped[dt.date | None]
    forecast_end: Mapped[dt.date | None]
    actual_start: Mapped[dt.date | None]
    actual_end: Mapped[dt.date | None]
    budget: Mapped[Decimal | None]
    actual_cost: Mapped[Decimal | None]
    forecast_cost: Mapped[Decimal | None]
    percent_complete: Mapped[float | None]
    benefits: Mapped[Decimal | None]
    description: Mapped[str | None] = mapped_column(Text)
    # Fields harvested by a datamap that have no canonical column: {"field name": "value"}.
    custom_fields: Mapped[dict | None] = mapped_column(JSON)

    programme: Mapped[Programme | None] = relationship(back_populates="projects")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Milestone.baseline_date"
    )
    status_reports: Mapped[list[StatusReport]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="StatusReport.period_end"
    )
    scores: Mapped[list[ProjectScore]] = relationship(back_populates="project", cascade="all, delete-orphan")


class Milestone(Versioned, Base):
    """A dated milestone or deliverable of a project."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("project_id", "name"), enum_check("status", MilestoneStatus))

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    baseline_date: Mapped[dt.date | None]
    forecast_date: Mapped[dt.date | None]
    actual_date: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default=MilestoneStatus.PLANNED.value)

    project: Mapped[Project] = relationship(back_populates="milestones")


class StatusReport(Versioned, Base):
    """One project's report for one reporting period: the history behind trends and "as of" views."""

    __tablename__ = "status_report"
    __table_args__ = (
        UniqueConstraint("project_id", "period_end"),
        *(enum_check(col, Rag) for col in _RAG_COLUMNS),
        range_check("percent_complete", 0, 1),
        Index("ix_status_report_period_end", "period_end"),
    )

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    period_end: Mapped[dt.date]
    rag: Mapped[str | None] = mapped_column(String(1))
    schedule_rag: Mapped[str | None] = mapped_column(String(1))
    cost_rag: Mapped[str | None] = mapped_column(String(1))
    scope_rag: Mapped[str | None] = mapped_column(String(1))
    resource_rag: Mapped[str | None] = mapped_column(String(1))
    percent_complete: Mapped[float | None]
    actual_cost: Mapped[Decimal | None]
    forecast_cost: Mapped[Decimal | None]
    forecast_end: Mapped[dt.date | None]
    summary: Mapped[str | None] = mapped_column(Text)
    achievements: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    issues: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[dt.datetime | None]

    project: Mapped[Project] = relationship(back_populates="status_reports")


class StrategicCriterion(Versioned, Base):
    """A weighted criterion (e.g. "Customer value") on which projects are scored 0-5."""

    __tablename__ = "strategic_criterion"
    __table_args__ = (CheckConstraint("weight >= 0", name="weight_not_negative"),)

    name: Mapped[str] = mapped_column(String(200), unique=True)
    weight: Mapped[float] = mapped_column(default=1.0)
    description: Mapped[str | None] = mapped_column(Text)


class ProjectScore(Versioned, Base):
    """A project's score 0-5 on one strategic criterion."""

    __tablename__ = "project_score"
    __table_args__ = (UniqueConstraint("project_id", "criterion_id"), range_check("score", 0, 5))

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("strategic_criterion.id", ondelete="CASCADE"))
    score: Mapped[float]

    project: Mapped[Project] = relationship(back_populates="scores")
    criterion: Mapped[StrategicCriterion] = relationship()


class Scenario(Versioned, Base):
    """A named what-if: which candidate projects are in, under which budget cap."""

    __tablename__ = "scenario"
    __table_args__ = (CheckConstraint("budget_cap IS NULL OR budget_cap >= 0", name="cap_not_negative"),)

    name: Mapped[str] = mapped_column(String(200), unique=True)
    budget_cap: Mapped[Decimal | None]
    fiscal_year: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[dt.datetime | None]

    entries: Mapped[list[ScenarioProject]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan"
    )


class ScenarioProject(Base):
    """A project's place in a scenario: included or not, and whether the user pinned it."""

    __tablename__ = "scenario_project"
    __table_args__ = (UniqueConstraint("scenario_id", "project_id"),)

    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenario.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    included: Mapped[bool] = mapped_column(Boolean, default=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)

    scenario: Mapped[Scenario] = relationship(back_populates="entries")
    project: Mapped[Project] = relationship()
