"""What an empty office starts with: settings, stage gates, methodology standards, strategic criteria.

``ensure_defaults(session)`` is safe to run on every start: it only creates what is missing and
never touches what a coordinator has already changed. Everything is written through the ORM
session, so each row leaves its audit event.

``office_has_defaults(connection)`` answers the same question without writing: four Core SELECTs,
no ORM and no write lock, so that opening an office that has its defaults neither waits for
another writer nor configures the ORM's mappers before the first window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, exists, func, select
from sqlalchemy.orm import Session

from ..model import (
    Gate,
    GateCriterion,
    Methodology,
    MethodologyStandard,
    OfficeSettings,
    RaidKind,
    Stage,
    StandardMilestone,
    StandardRaidItem,
    StrategicCriterion,
)


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """A gate criterion: what must be shown, whether the gate can pass without it, and for whom.

    ``methodology`` None puts it on every project's checklist; a methodology only on its projects'.
    """

    name: str
    required: bool = True
    methodology: Methodology | None = None


@dataclass(frozen=True, slots=True)
class GateSpec:
    """A default stage gate between two lifecycle stages."""

    name: str
    from_stage: Stage
    to_stage: Stage
    criteria: tuple[CriterionSpec, ...]


@dataclass(frozen=True, slots=True)
class StarterRaidSpec:
    """A RAID item every project of a methodology starts with."""

    kind: RaidKind
    title: str
    category: str


@dataclass(frozen=True, slots=True)
class StandardSpec:
    """A methodology's standard milestones (name, position 0-1 on the timeline) and starter RAID."""

    methodology: Methodology
    description: str
    milestones: tuple[tuple[str, float], ...]
    starter_raid: tuple[StarterRaidSpec, ...]


@dataclass(frozen=True, slots=True)
class StrategicCriterionSpec:
    """A weighted criterion proposals and projects are scored on (0-5)."""

    name: str
    weight: float
    description: str


REQ, OPT = True, False  # required / optional, to keep the tables below readable
WATERFALL, AGILE, HYBRID = Methodology.WATERFALL, Methodology.AGILE, Methodology.HYBRID

DEFAULT_GATES: tuple[GateSpec, ...] = (
    GateSpec("G1 Business case", Stage.IDEA, Stage.BUSINESS_CASE, (
        CriterionSpec("Problem statement and outcomes", REQ),
        CriterionSpec("Sponsor named", REQ),
        CriterionSpec("Strategic fit assessed", REQ),
        CriterionSpec("Rough order of magnitude cost", OPT),
    )),
    GateSpec("G2 Investment approval", Stage.BUSINESS_CASE, Stage.APPROVED, (
        CriterionSpec("Business case", REQ),
        CriterionSpec("Options appraisal", REQ),
        CriterionSpec("Budget approved", REQ),
        CriterionSpec("Benefits plan", REQ),
        CriterionSpec("Risk register started", REQ),
        CriterionSpec("Procurement route agreed", OPT),
    )),
    GateSpec("G3 Mobilisation", Stage.APPROVED, Stage.PLANNING, (
        CriterionSpec("Project manager assigned", REQ),
        CriterionSpec("Project initiation document", REQ),
        CriterionSpec("Governance and reporting agreed", REQ),
        CriterionSpec("Stakeholder map", OPT),
    )),
    GateSpec("G4 Execution", Stage.PLANNING, Stage.EXECUTION, (
        CriterionSpec("Baseline plan", REQ),
        CriterionSpec("Resource plan", REQ),
        CriterionSpec("Budget profile agreed", REQ),
        CriterionSpec("Risk register reviewed", REQ),
        CriterionSpec("Change control in place", REQ),
        CriterionSpec("Quality plan", OPT),
        CriterionSpec("Requirements specification signed off", REQ, WATERFALL),
        CriterionSpec("Detailed design approved", OPT, WATERFALL),
        CriterionSpec("Product backlog prioritised", REQ, AGILE),
        CriterionSpec("Definition of done agreed", REQ, AGILE),
        CriterionSpec("Release roadmap aligned with stage milestones", REQ, HYBRID),
        CriterionSpec("Definition of done agreed for delivery teams", REQ, HYBRID),
    )),
    GateSpec("G5 Handover", Stage.EXECUTION, Stage.CLOSING, (
        CriterionSpec("Deliverables accepted", REQ),
        CriterionSpec("Handover to operations", REQ),
        CriterionSpec("Open risks and issues transferred", REQ),
        CriterionSpec("Training complete", OPT),
        CriterionSpec("User acceptance testing signed off", REQ, WATERFALL),
        CriterionSpec("Live service assessment passed", REQ, AGILE),
        CriterionSpec("Final release accepted by the business", REQ, HYBRID),
    )),
    GateSpec("G6 Closure", Stage.CLOSING, Stage.CLOSED, (
        CriterionSpec("Lessons learned", REQ),
        CriterionSpec("Benefits realisation plan", REQ),
        CriterionSpec("Final financial reconciliation", REQ),
        CriterionSpec("Contracts closed", OPT),
        CriterionSpec("Project records archived", OPT),
    )),
)

DEFAULT_STANDARDS: tuple[StandardSpec, ...] = (
    StandardSpec(
        Methodology.WATERFALL,
        "Sequential delivery: requirements, design, build, test and go-live, each signed off.",
        (
            ("Project initiation", 0.0),
            ("Requirements signed off", 0.15),
            ("Design approved", 0.3),
            ("Build complete", 0.6),
            ("Testing complete", 0.8),
            ("Go-live", 0.9),
            ("Project closure", 1.0),
        ),
        (
            StarterRaidSpec(RaidKind.RISK, "Requirements change after sign-off", "Scope"),
            StarterRaidSpec(RaidKind.ASSUMPTION, "Business experts available for user acceptance testing",
                            "Resourcing"),
            StarterRaidSpec(RaidKind.DEPENDENCY, "Test environments available when build completes", "Technical"),
        ),
    ),
    StandardSpec(
        Methodology.AGILE,
        "Iterative delivery in sprints through discovery, alpha, beta and live.",
        (
            ("Discovery complete", 0.1),
            ("Alpha assessment", 0.3),
            ("Private beta", 0.55),
            ("Public beta", 0.75),
            ("Live assessment", 0.9),
            ("Service handover", 1.0),
        ),
        (
            StarterRaidSpec(RaidKind.RISK, "Product owner not available enough to steer the backlog",
                            "Resourcing"),
            StarterRaidSpec(RaidKind.ASSUMPTION, "Team membership stays stable across sprints", "Resourcing"),
            StarterRaidSpec(RaidKind.DEPENDENCY, "Platform team provides the delivery pipeline", "Technical"),
        ),
    ),
    StandardSpec(
        Methodology.HYBRID,
        "Waterfall governance and stage gates around agile delivery teams.",
        (
            ("Initiation", 0.0),
            ("Solution design approved", 0.2),
            ("MVP release", 0.45),
            ("Release 2", 0.7),
            ("Go-live", 0.9),
            ("Closure", 1.0),
        ),
        (
            StarterRaidSpec(RaidKind.RISK, "Agile releases and waterfall milestones drift apart", "Schedule"),
            StarterRaidSpec(RaidKind.ASSUMPTION, "Funding released per stage on gate approval", "Financial"),
            StarterRaidSpec(RaidKind.ISSUE, "Release governance not yet agreed with change board", "Governance"),
        ),
    ),
)

DEFAULT_STRATEGIC_CRITERIA: tuple[StrategicCriterionSpec, ...] = (
    StrategicCriterionSpec("Strategic alignment", 0.30, "How directly the work delivers the corporate strategy."),
    StrategicCriterionSpec("Financial return", 0.25, "Net benefits against whole-life cost."),
    StrategicCriterionSpec("Customer impact", 0.20, "Improvement customers and service users will notice."),
    StrategicCriterionSpec("Risk reduction", 0.15, "Operational, security or continuity risk removed."),
    StrategicCriterionSpec("Regulatory", 0.10, "Needed to meet a legal or regulatory obligation."),
)


@dataclass
class CreatedDefaults:
    """The rows ``ensure_defaults`` created (empty lists when everything already existed)."""

    settings: OfficeSettings | None = None
    gates: list[Gate] = field(default_factory=list)
    standards: list[MethodologyStandard] = field(default_factory=list)
    strategic_criteria: list[StrategicCriterion] = field(default_factory=list)

    @property
    def nothing_created(self) -> bool:
        return self.settings is None and not (self.gates or self.standards or self.strategic_criteria)


def ensure_defaults(session: Session) -> CreatedDefaults:
    """Create whatever an empty office is missing, flush, and return what was created."""
    created = CreatedDefaults(
        settings=ensure_office_settings(session),
        gates=ensure_gates(session),
        standards=ensure_methodology_standards(session),
        strategic_criteria=ensure_strategic_criteria(session),
    )
    session.flush()
    return created


def ensure_office_settings(session: Session) -> OfficeSettings | None:
    """Create the single settings row (id 1) with the model's defaults, unless it exists."""
    if session.get(OfficeSettings, 1) is not None:
        return None
    settings = OfficeSettings(id=1)
    session.add(settings)
    return settings


def ensure_gates(session: Session) -> list[Gate]:
    """Create each default gate (with its criteria) whose transition has no gate yet.

    A gate the office already has is left exactly as it is, criteria included: the defaults
    are a starting point, not a rule to re-impose.
    """
    created = []
    for position, spec in _missing_gates(session.execute(select(Gate.to_stage, Gate.name))):
        gate = Gate(name=spec.name, from_stage=spec.from_stage.value, to_stage=spec.to_stage.value,
                    position=position)
        gate.criteria = [
            GateCriterion(name=c.name, required=c.required, position=i,
                          methodology=c.methodology.value if c.methodology else None)
            for i, c in enumerate(spec.criteria)
        ]
        session.add(gate)
        created.append(gate)
    return created


def _missing_gates(existing: Iterable[tuple[str, str]]) -> list[tuple[int, GateSpec]]:
    """The default gates (with their position) whose transition and name no ``(to_stage, name)`` takes."""
    taken_stages, taken_names = set(), set()
    for to_stage, name in existing:
        taken_stages.add(to_stage)
        taken_names.add(name)
    return [(position, spec) for position, spec in enumerate(DEFAULT_GATES, start=1)
            if spec.to_stage.value not in taken_stages and spec.name not in taken_names]


def ensure_methodology_standards(session: Session) -> list[MethodologyStandard]:
    """Create the waterfall, agile and hybrid standards that do not exist yet."""
    created = []
    for spec in _missing_standards(session.scalars(select(MethodologyStandard.methodology))):
        standard = MethodologyStandard(methodology=spec.methodology.value, description=spec.description)
        standard.milestones = [StandardMilestone(name=name, position=pos) for name, pos in spec.milestones]
        standard.starter_raid = [
            StandardRaidItem(kind=item.kind.value, title=item.title, category=item.category)
            for item in spec.starter_raid
        ]
        session.add(standard)
        created.append(standard)
    return created


def _missing_standards(taken: Iterable[str]) -> list[StandardSpec]:
    """The default standards whose methodology is not among ``taken``."""
    taken = set(taken)
    return [spec for spec in DEFAULT_STANDARDS if spec.methodology.value not in taken]


def ensure_strategic_criteria(session: Session) -> list[StrategicCriterion]:
    """Create the default weighted criteria, but only in an office that has none of its own.

    Adding defaults next to criteria the office chose would silently change every weighted score.
    """
    if session.scalar(select(func.count()).select_from(StrategicCriterion)):
        return []
    created = [
        StrategicCriterion(name=spec.name, weight=spec.weight, description=spec.description)
        for spec in DEFAULT_STRATEGIC_CRITERIA
    ]
    session.add_all(created)
    return created


def office_has_defaults(connection: Connection) -> bool:
    """Whether ``ensure_defaults`` would find nothing to create, read through Core.

    The same four questions as ``ensure_defaults`` (the settings row, each default gate, each
    standard, any strategic criterion), asked with plain SELECTs on the tables: no ORM mapper is
    configured and, on SQLite, no write lock is taken.
    """
    settings = OfficeSettings.__table__
    gate = Gate.__table__
    standard = MethodologyStandard.__table__
    criterion = StrategicCriterion.__table__
    return bool(
        connection.scalar(select(exists().where(settings.c.id == 1)))
        and not _missing_gates(connection.execute(select(gate.c.to_stage, gate.c.name)))
        and not _missing_standards(connection.scalars(select(standard.c.methodology)))
        and connection.scalar(select(exists().select_from(criterion)))
    )
