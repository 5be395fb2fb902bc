"""The portfolio database: SQLAlchemy 2 typed models, one module per aggregate."""

from .audit import AuditBypassError, AuditContext, AuditEvent, AuditHead, AuditRecord
from .base import Base
from .enums import (
    AuditAction,
    AuditSource,
    BatchStatus,
    Cadence,
    DateOrder,
    Decision,
    Escalation,
    ImportKind,
    Methodology,
    MilestoneStatus,
    PmoType,
    Rag,
    RaidKind,
    RaidStatus,
    RiskResponse,
    Stage,
)
from .governance import (
    Gate,
    GateCondition,
    GateCriterion,
    GateCriterionResult,
    GateReview,
    MethodologyStandard,
    StageChange,
    StandardMilestone,
    StandardRaidItem,
)
from .imports import Datamap, ImportBatch, ImportFingerprint, SavedMapping
from .portfolio import (
    Milestone,
    Programme,
    Project,
    ProjectScore,
    Scenario,
    ScenarioProject,
    StatusReport,
    StrategicCriterion,
)
from .raid import RaidItem
from .resources import Absence, Allocation, Demand, Holiday, Person, PersonSkill, Role, Skill
from .settings import OfficeSettings

__all__ = [
    "Absence", "Allocation", "AuditAction", "AuditBypassError", "AuditContext", "AuditEvent", "AuditHead",
    "AuditRecord", "AuditSource", "Base", "BatchStatus", "Cadence", "Datamap", "DateOrder", "Decision", "Demand",
    "Escalation", "Gate", "GateCondition", "GateCriterion", "GateCriterionResult", "GateReview", "Holiday",
    "ImportBatch", "ImportFingerprint", "ImportKind", "Methodology", "MethodologyStandard", "Milestone",
    "MilestoneStatus", "OfficeSettings", "Person", "PersonSkill", "PmoType", "Programme", "Project", "ProjectScore", "Rag",
    "RaidItem", "RaidKind", "RaidStatus", "RiskResponse", "Role", "SavedMapping", "Scenario", "ScenarioProject",
    "Skill", "Stage", "StageChange", "StandardMilestone", "StandardRaidItem", "StatusReport",
    "StrategicCriterion",
]
