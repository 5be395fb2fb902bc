"""The RAID log: risks, assumptions, issues and dependencies across the portfolio."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Versioned, enum_check, range_check
from .enums import Escalation, RaidKind, RaidStatus, RiskResponse
from .portfolio import Milestone, Project


class RaidItem(Versioned, Base):
    """One RAID entry. Keyed by project and ref; project is empty for portfolio-level items."""

    __tablename__ = "raid_item"
    __table_args__ = (
        # NULL project ids never collide in a unique index, so portfolio-level refs use scope_key.
        UniqueConstraint("scope_key", "ref"),
        enum_check("kind", RaidKind),
        enum_check("status", RaidStatus),
        enum_check("response", RiskResponse),
        enum_check("escalation", Escalation),
        range_check("likelihood", 1, 5),
        range_check("impact", 1, 5),
        Index("ix_raid_item_kind_status", "kind", "status"),
        Index("ix_raid_item_owner", "owner"),
    )

    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    # The project's id as text, or "portfolio": makes (scope_key, ref) unique for both cases.
    scope_key: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), default=RaidKind.RISK.value)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(120), index=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    raised: Mapped[dt.date | None]
    due: Mapped[dt.date | None]
    likelihood: Mapped[int | None]
    impact: Mapped[int | None]
    cost_impact: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(20), default=RaidStatus.OPEN.value)
    response: Mapped[str | None] = mapped_column(String(20))
    mitigation: Mapped[str | None] = mapped_column(Text)
    escalation: Mapped[str] = mapped_column(String(20), default=Escalation.PROJECT.value)
    escalation_rule: Mapped[str | None] = mapped_column(String(200))
    depends_on_project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), index=True
    )
    depends_on_milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id", ondelete="SET NULL"))
    # A risk that became an issue keeps its own row and links to the issue it turned into.
    became_item_id: Mapped[int | None] = mapped_column(ForeignKey("raid_item.id", ondelete="SET NULL"))
    last_reviewed: Mapped[dt.date | None]
    closed_on: Mapped[dt.date | None]

    project: Mapped[Project | None] = relationship(foreign_keys=[project_id])
    depends_on_project: Mapped[Project | None] = relationship(foreign_keys=[depends_on_project_id])
    depends_on_milestone: Mapped[Milestone | None] = relationship()

    @property
    def score(self) -> int | None:
        """Likelihood times impact (1-25), or None when either is unknown."""
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact

    @staticmethod
    def scope_key_for(project_id: int | None) -> str:
        return "portfolio" if project_id is None else str(project_id)
