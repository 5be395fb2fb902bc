"""Enumerations stored as text, with the words a coordinator sees."""

from __future__ import annotations

from enum import StrEnum


class Rag(StrEnum):
    RED = "R"
    AMBER = "A"
    GREEN = "G"

    @property
    def label(self) -> str:
        return {"R": "Red", "A": "Amber", "G": "Green"}[self.value]


class Stage(StrEnum):
    IDEA = "idea"
    BUSINESS_CASE = "business_case"
    APPROVED = "approved"
    PLANNING = "planning"
    EXECUTION = "execution"
    CLOSING = "closing"
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def lifecycle(cls) -> list[Stage]:
        """The stages a project passes through in order (on hold and cancelled stand aside)."""
        return [cls.IDEA, cls.BUSINESS_CASE, cls.APPROVED, cls.PLANNING, cls.EXECUTION, cls.CLOSING, cls.CLOSED]

    @property
    def is_active(self) -> bool:
        return self in (Stage.APPROVED, Stage.PLANNING, Stage.EXECUTION, Stage.CLOSING)

    @property
    def is_proposal(self) -> bool:
        return self in (Stage.IDEA, Stage.BUSINESS_CASE)


class Methodology(StrEnum):
    WATERFALL = "waterfall"
    AGILE = "agile"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    AT_RISK = "at_risk"
    ACHIEVED = "achieved"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class RaidKind(StrEnum):
    RISK = "risk"
    ASSUMPTION = "assumption"
    ISSUE = "issue"
    DEPENDENCY = "dependency"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RaidStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class RiskResponse(StrEnum):
    AVOID = "avoid"
    REDUCE = "reduce"
    TRANSFER = "transfer"
    ACCEPT = "accept"
    SHARE = "share"
    EXPLOIT = "exploit"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Escalation(StrEnum):
    PROJECT = "project"
    PROGRAMME = "programme"
    PORTFOLIO = "portfolio"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Decision(StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    DEFERRED = "deferred"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def passes(self) -> bool:
        return self in (Decision.APPROVED, Decision.APPROVED_WITH_CONDITIONS)


class PmoType(StrEnum):
    SUPPORTIVE = "supportive"
    CONTROLLING = "controlling"
    DIRECTIVE = "directive"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Cadence(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DateOrder(StrEnum):
    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"

    @property
    def label(self) -> str:
        return {"day_first": "Day first (14/03/2026)", "month_first": "Month first (03/14/2026)"}[self.value]


class AuditAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"


class AuditSource(StrEnum):
    UI = "ui"
    IMPORT = "import"
    CLI = "cli"
    SYSTEM = "system"


class BatchStatus(StrEnum):
    APPLIED = "applied"
    UNDONE = "undone"


class ImportKind(StrEnum):
    PROJECTS = "projects"
    STATUS = "status"
    RAID = "raid"
    MILESTONES = "milestones"
    PEOPLE = "people"
    ALLOCATIONS = "allocations"
