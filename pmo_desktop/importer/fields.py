"""Canonical import fields per kind of sheet, their value types, keys and header synonyms.

The names follow /shared/FIELDS.md (they are also the headers of the office's own templates).
Synonyms are written the way managers write them; mapping.normalise_header() is applied to
both sides, so case, punctuation, "&"/"and" and units in brackets do not need spelling out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a sheet holds."""

    PROJECTS = "projects"
    STATUS = "status"
    RAID = "raid"
    MILESTONES = "milestones"
    PEOPLE = "people"
    ALLOCATIONS = "allocations"
    SCORES = "scores"


class FieldType(StrEnum):
    """How a field's cells are parsed (see values.py)."""

    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    PERCENT = "percent"
    RAG = "rag"
    INT = "int"
    ENUM = "enum"
    LIKELIHOOD = "likelihood"
    NUMBER = "number"
    HOURS = "hours"
    SCORE = "score"
    """A strategic score: 0 to 5 in half steps, or Very low..Very high (1..5)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One canonical field of one kind."""

    name: str
    type: FieldType
    synonyms: tuple[str, ...]
    key: bool = False
    period_end: bool = False
    """Month/quarter text means the period's last day (end, due and forecast dates)."""
    enum: str | None = None
    """For ENUM fields: the values.ENUM_PARSERS entry; for INT fields 'priority' is allowed."""


T, D, M, P, RAG = FieldType.TEXT, FieldType.DATE, FieldType.MONEY, FieldType.PERCENT, FieldType.RAG
INT, ENUM, LIK, NUM, HRS = FieldType.INT, FieldType.ENUM, FieldType.LIKELIHOOD, FieldType.NUMBER, FieldType.HOURS
SCORE = FieldType.SCORE


def _f(name: str, ftype: FieldType, *synonyms: str, key: bool = False, end: bool = False,
       enum: str | None = None) -> FieldSpec:
    return FieldSpec(name, ftype, (name.replace("_", " "), *synonyms), key, end, enum)


_PROJECT_NAME = (
    "project", "project name", "name", "title", "project title", "initiative", "initiative name",
    "scheme", "scheme name", "programme project name", "project programme name", "project/programme name",
    "project or programme", "workstream", "work stream", "product", "engagement", "project description short",
)
_PROJECT_REF = (
    "project", "project name", "project code", "project id", "project ref", "project reference",
    "proj", "proj name", "project/programme name", "project programme name", "initiative", "scheme",
    "programme/project", "related project", "project no", "project number", "workstream",
)
_COSTS = ("actual cost", "actuals", "spend to date", "actual spend", "costs ytd", "cost to date",
          "actual costs", "spend", "spent", "budget spent", "actuals to date", "expenditure",
          "actual expenditure", "total spend", "cumulative spend", "ytd actuals", "acwp", "ac",
          "incurred", "costs incurred", "spend ytd")
_FORECAST = ("forecast cost", "forecast", "eac", "estimate at completion", "forecast at completion",
             "outturn", "forecast outturn", "fac", "forecast total", "total forecast", "projected cost",
             "forecast spend", "latest estimate", "estimated total cost", "forecast final cost",
             "anticipated final cost", "afc", "etc", "whole life cost forecast", "forecast wlc")
_PCT = ("percent complete", "% complete", "complete %", "% done", "progress", "progress %",
        "completion", "completion %", "pct complete", "percentage complete", "% progress",
        "done %", "% completion", "physical % complete", "work complete", "percent done")
_RAG = ("rag", "overall rag", "overall status", "health", "overall health", "traffic light",
        "status rag", "rag status", "overall", "project rag", "delivery confidence",
        "delivery confidence assessment", "dca", "departmental dca", "sro dca", "overall rating",
        "overall assessment", "project health", "health status", "current rag", "rag rating",
        "status colour", "status color", "confidence")


FIELDS: dict[Kind, tuple[FieldSpec, ...]] = {
    Kind.PROJECTS: (
        _f("code", T, "project id", "project code", "proj code", "proj id", "ref", "reference",
           "project ref", "project reference", "project no", "project number", "id", "code",
           "project #", "#", "no", "number", "ppm id", "portfolio id", "programme id", "wbs",
           "wbs code", "cost centre", "project key", "key", "dft id number", "gmpp ipa id number",
           "controls project id number", "unique id", "uid", key=True),
        _f("name", T, *_PROJECT_NAME),
        _f("programme", T, "program", "programme name", "program name", "portfolio", "parent programme",
           "theme", "portfolio area", "strategic theme", "dft group", "group", "investment area"),
        _f("sponsor", T, "exec sponsor", "executive sponsor", "sro", "senior responsible owner",
           "senior responsible owner sro", "business owner", "project sponsor", "executive",
           "sponsoring director", "accountable executive", "sro full name", "project executive"),
        _f("manager", T, "pm", "project manager", "owner", "lead", "project lead", "project owner",
           "delivery manager", "manager", "proj manager", "project director", "project director pd",
           "pd", "responsible", "led by", "project manager name", "pm name", "delivery lead"),
        _f("department", T, "business unit", "dept", "division", "directorate", "function",
           "business area", "department name", "bu", "team", "organisation", "organization",
           "delivery body", "area", "service", "dft division"),
        _f("stage", ENUM, "phase", "lifecycle stage", "lifecycle phase", "project stage", "project phase",
           "current stage", "current phase", "gate", "stage gate", "lifecycle", "project status",
           "delivery stage", "life cycle stage", "status", enum="stage"),
        _f("rag", RAG, *_RAG, "status"),
        _f("schedule_rag", RAG, "schedule", "schedule rag", "time", "time rag", "timescales",
           "schedule status", "sro schedule confidence", "milestones rag", "timeline rag"),
        _f("cost_rag", RAG, "cost rag", "budget rag", "finance rag", "financial rag", "cost status",
           "budget status", "sro finance confidence", "financial confidence", "cost"),
        _f("scope_rag", RAG, "scope", "scope rag", "quality rag", "scope status", "quality"),
        _f("resource_rag", RAG, "resources", "resource rag", "resourcing", "people rag", "resource status",
           "resources rag", "staffing rag"),
        _f("priority", INT, "rank", "ranking", "project priority", "prio", "priority rank",
           "priority level", "p1 p2 p3", "tier", "importance", enum="priority"),
        _f("methodology", ENUM, "method", "delivery method", "delivery methodology", "approach",
           "change delivery methodology", "framework", "agile waterfall", "delivery approach",
           enum="methodology"),
        _f("start", D, "start date", "planned start", "baseline start", "start planned", "begin",
           "kick off", "kickoff", "kick-off date", "commencement", "commencement date", "from",
           "project start", "planned start date", "baseline start date", "date started", "start dt"),
        _f("end", D, "end date", "finish", "finish date", "go live", "go-live date", "go live date",
           "target date", "target end", "planned end", "planned finish", "baseline end", "baseline finish",
           "completion date", "planned completion", "due", "due date", "delivery date", "close date",
           "project end", "end dt", "target completion", "deadline", end=True),
        _f("forecast_end", D, "forecast finish", "forecast completion", "expected end", "forecast end date",
           "forecast completion date", "revised end", "revised end date", "expected completion",
           "expected finish", "projected end", "projected finish", "estimated completion",
           "estimated end", "forecast go live", "current end date", "latest end date", end=True),
        _f("actual_start", D, "actual start", "actual start date", "started", "date started actual"),
        _f("actual_end", D, "actual end", "actual finish", "actual completion", "actual end date",
           "completed on", "date completed", "actual completion date", "closed date", end=True),
        _f("budget", M, "bac", "approved budget", "total budget", "budget at completion", "budget total",
           "baseline budget", "budget allocated", "approved funding", "funding", "allocated budget",
           "budget approved", "total approved budget", "capital budget", "whole life cost",
           "whole life cost baseline", "wlc", "total cost", "cost baseline", "baseline cost",
           "budget amount", "sanctioned budget", "total budget bl", "project budget"),
        _f("actual_cost", M, *_COSTS, "cost"),
        _f("forecast_cost", M, *_FORECAST),
        _f("percent_complete", P, *_PCT),
        _f("benefits", M, "expected benefits", "npv", "net present value", "total benefits",
           "benefits value", "financial benefits", "savings", "cashable savings", "benefit",
           "monetised benefits", "total monetised benefits", "total ben forecast total monetised benefits"),
        _f("description", T, "project description", "desc", "summary", "scope", "project scope",
           "objective", "objectives", "purpose", "brief project description", "overview", "details",
           "brief description", "background"),
    ),
    Kind.STATUS: (
        _f("project", T, *_PROJECT_REF, key=True),
        _f("period_end", D, "period end", "week ending", "w/e", "we", "reporting period", "as at",
           "as of", "report date", "status date", "reporting date", "period", "period ending",
           "month", "month ending", "report period", "date of report", "reporting week", "week",
           "reporting period end", "snapshot date", "data date", "status as at", "date",
           key=True, end=True),
        _f("rag", RAG, *_RAG),
        _f("schedule_rag", RAG, "schedule", "schedule rag", "time", "time rag", "timescales",
           "schedule status", "milestones", "milestone rag", "sro schedule confidence", "timeline"),
        _f("cost_rag", RAG, "budget", "cost", "cost rag", "budget rag", "finance", "finance rag",
           "financial", "financials", "budget status", "cost status", "sro finance confidence"),
        _f("scope_rag", RAG, "scope", "scope rag", "quality", "scope status", "deliverables"),
        _f("resource_rag", RAG, "resources", "resource", "resource rag", "resourcing", "people", "staffing",
           "resource status", "team"),
        _f("percent_complete", P, *_PCT),
        _f("actual_cost", M, *_COSTS),
        _f("forecast_cost", M, *_FORECAST),
        _f("forecast_end", D, "forecast end", "forecast finish", "forecast completion", "expected end",
           "forecast go live", "revised end date", "forecast end date", "projected end", end=True),
        _f("summary", T, "executive summary", "exec summary", "status summary", "overall summary",
           "commentary", "comments", "summary", "narrative", "status report", "update", "status update",
           "headline", "headlines", "key messages", "overall commentary", "progress summary",
           "sro commentary", "departmental dca narrative", "notes", "status comments"),
        _f("achievements", T, "key achievements", "achievements this period", "progress this period",
           "accomplishments", "completed this period", "this period", "achieved", "work completed",
           "activities completed", "last period", "achievements last period", "highlights"),
        _f("next_steps", T, "next period", "next steps", "planned next period", "activities next period",
           "next period activities", "planned activities", "upcoming", "look ahead", "plans for next period",
           "next week", "next month", "coming up", "priorities next period"),
        _f("issues", T, "key issues", "issues", "issues and risks", "key risks and issues", "blockers",
           "concerns", "risks and issues", "help needed", "decisions required", "escalations",
           "support required", "key risks"),
        _f("submitted_by", T, "submitted by", "reported by", "author", "prepared by", "completed by",
           "report owner", "pm", "project manager", "updated by"),
    ),
    Kind.RAID: (
        _f("project", T, *_PROJECT_REF, key=True),
        _f("ref", T, "id", "ref", "reference", "risk id", "issue id", "raid id", "risk ref", "issue ref",
           "risk no", "risk number", "issue no", "issue number", "item id", "log id", "#", "no", "number",
           "raid ref", "risk reference", "ref no", "action id", "dependency id", "assumption id",
           "unique id", "item no", "item number", "key", key=True),
        _f("kind", ENUM, "type", "raid type", "item type", "r/a/i/d", "raid", "raid category", "log type",
           "risk or issue", "risk/issue", "entry type", "record type", "category type", enum="raid_kind"),
        _f("title", T, "risk", "issue", "title", "risk title", "issue title", "name", "short description",
           "summary", "headline", "risk name", "issue name", "subject", "brief risk description",
           "brief risk decription", "item", "assumption", "dependency", "risk summary", "risk event"),
        _f("description", T, "description", "risk description", "issue description", "details", "detail",
           "cause", "effect", "cause and effect", "full description", "narrative", "risk detail",
           "dependency description", "assumption description", "desc", "risk cause"),
        _f("category", T, "category", "area", "theme", "risk category", "issue category", "risk type",
           "brd risk category", "classification", "workstream", "pestle", "primary risk to",
           "brd primary risk to", "risk area", "impact area", "source"),
        _f("owner", T, "owner", "action owner", "assigned to", "risk owner", "issue owner", "responsible",
           "actionee", "managed by", "lead", "who", "assignee", "raised by", "owned by", "accountable"),
        _f("likelihood", LIK, "probability", "likelihood", "prob", "chance", "likelihood h/m/l",
           "likelihood score", "probability score", "p", "l", "residual likelihood", "brd residual likelihood",
           "likelihood rating", "probability rating", "inherent likelihood", "current likelihood"),
        _f("impact", LIK, "impact", "severity", "impact score", "consequence", "impact rating", "i",
           "residual impact", "brd residual impact", "impact h/m/l", "severity score", "inherent impact",
           "current impact", "magnitude", "effect rating"),
        _f("cost_impact", M, "cost impact", "financial impact", "cost of impact", "financial exposure",
           "exposure", "impact cost", "estimated cost", "cost exposure", "value at risk", "impact value",
           "monetary impact", "expected monetary value", "emv"),
        _f("status", ENUM, "status", "open/closed", "state", "risk status", "issue status", "current status",
           "open closed", "item status", "raid status", enum="raid_status"),
        _f("response", ENUM, "response", "strategy", "response strategy", "treatment", "risk response",
           "approach", "internal control", "brd internal control", "action type",
           "response type", "treat tolerate transfer terminate", "4ts", enum="risk_response"),
        _f("mitigation", T, "mitigation", "action", "actions", "mitigating actions", "mitigation plan",
           "mitigation actions", "mitigations", "resolution", "action plan", "contingency", "next steps",
           "brd mitigation actions", "mitigation action", "control measures", "planned actions",
           "actions to resolve", "resolution plan", "management actions"),
        _f("raised", D, "date raised", "raised", "identified", "date identified", "raised on", "logged",
           "date logged", "date opened", "opened", "created", "date added", "entry date", "raised date",
           "identified date", "date created"),
        _f("due", D, "due", "due date", "target date", "review date", "target resolution date",
           "action due", "action due date", "deadline", "resolve by", "date due", "target completion",
           "next review", "next review date", "close by", end=True),
        _f("escalation", ENUM, "escalated", "escalation level", "escalation", "escalate", "escalated to",
           "escalate to", "escalation required", "escalated y/n", enum="escalation"),
        _f("depends_on", T, "depends on", "dependent on", "dependency on", "depends on project",
           "related project", "linked project", "dependent project", "external dependency", "supplier"),
        _f("last_reviewed", D, "last reviewed", "last review", "date last reviewed", "reviewed",
           "last updated", "updated", "date updated", "review date last", "last review date"),
    ),
    Kind.MILESTONES: (
        _f("project", T, *_PROJECT_REF, key=True),
        _f("name", T, "milestone", "milestone name", "deliverable", "deliverable name", "name", "title",
           "milestone title", "key milestone", "task", "task name", "activity", "event",
           "milestone description", "description", "approval mm", "milestone deliverable", key=True),
        _f("baseline", D, "baseline", "baseline date", "planned", "planned date", "original date",
           "original baseline", "approval mm original baseline", "original baseline date", "due", "due date",
           "target", "target date", "plan date", "planned end", "end date", "finish", "planned finish",
           "baseline finish", "date", "milestone date", end=True),
        _f("forecast", D, "forecast", "forecast date", "revised", "revised date", "expected", "expected date",
           "current forecast", "forecast actual", "approval mm forecast actual", "forecast/actual",
           "latest forecast", "re-forecast", "reforecast", "estimated date", "projected date", end=True),
        _f("actual", D, "actual", "actual date", "achieved", "achieved date", "date achieved", "completed",
           "completed date", "completion date", "actual finish", "date completed", "delivered on"),
        _f("status", ENUM, "status", "milestone status", "state", "approval mm status", "rag", "progress",
           "complete?", "achieved?", enum="milestone_status"),
        _f("owner", T, "owner", "milestone owner", "responsible", "assigned to", "lead", "accountable"),
        _f("notes", T, "notes", "comments", "comment", "approval mm notes", "remarks", "commentary"),
    ),
    Kind.PEOPLE: (
        _f("name", T, "name", "resource", "resource name", "person", "full name", "employee", "employee name",
           "staff", "staff name", "team member", "member", "colleague", "individual", "consultant",
           "person name", "who", "named resource", key=True),
        _f("email", T, "email", "e-mail", "email address", "e-mail address", "mail", "work email",
           "contact email", "login", "user", "username", key=True),
        _f("role", T, "role", "job title", "title", "position", "grade", "job role", "resource type",
           "profession", "skill", "discipline", "designation", "job", "resource role"),
        _f("team", T, "team", "department", "dept", "function", "business unit", "division", "group",
           "practice", "unit", "line manager team", "cost centre"),
        _f("capacity_hours", HRS, "capacity", "capacity hours", "hours/week", "hours per week",
           "hours week", "contracted hours", "weekly hours", "availability", "available hours",
           "availability hrs/week", "working hours", "fte", "capacity fte", "standard hours",
           "weekly capacity", "hrs per week", "contract hours"),
        _f("cost_rate", M, "cost rate", "rate", "hourly rate", "day rate", "daily rate", "charge rate",
           "cost per hour", "cost per day", "rate per hour", "rate per day", "bill rate", "unit cost"),
        _f("manager", T, "line manager", "manager", "reports to", "supervisor"),
        _f("location", T, "location", "site", "office", "base", "city"),
    ),
    Kind.ALLOCATIONS: (
        _f("person", T, "resource", "resource name", "name", "person", "resource assigned", "assigned to",
           "assignee", "staff", "employee", "team member", "who", "named resource", "consultant",
           "staff name", "person name", "employee name", "member", key=True),
        _f("project", T, *_PROJECT_REF, key=True),
        _f("start", D, "from", "start", "start date", "week commencing", "w/c", "wc", "week beginning",
           "from date", "allocation start", "period start", "begin", "date from", "week", "month", key=True),
        _f("end", D, "to", "end", "end date", "until", "to date", "allocation end", "period end", "date to",
           "finish", "finish date", end=True),
        _f("hours_per_week", HRS, "hours", "hours per week", "hours/week", "hrs/week", "hrs per week",
           "weekly hours", "allocation", "allocated hours", "hours allocated", "effort", "days", "fte",
           "% allocation", "allocation %", "percent allocated", "%", "days per week", "hrs", "demand",
           "planned hours", "effort hours", "time allocated", "capacity allocated"),
        _f("role", T, "role", "resource type", "skill", "job title", "resource role", "profile"),
        _f("task", T, "task", "task name", "activity", "work package", "workstream", "deliverable"),
    ),
    Kind.SCORES: (
        _f("project", T, *_PROJECT_REF, key=True),
        _f("criterion", T, "criterion", "strategic criterion", "criteria", "strategic criteria", "driver",
           "strategic driver", "scoring criterion", "objective", "strategic objective", "measure", key=True),
        _f("score", SCORE, "score", "rating", "points", "strategic score", "criterion score", "mark", "value score"),
    ),
}

SHEET_NAME_HINTS: dict[Kind, tuple[str, ...]] = {
    Kind.RAID: ("raid", "risk", "issue", "assumption", "dependenc", "dependanc", "brd"),
    Kind.MILESTONES: ("milestone", "deliverable", "key dates", "roadmap", "gantt"),
    Kind.ALLOCATIONS: ("allocation", "assignment", "resource plan", "resourcing", "capacity plan",
                       "forecast plan", "booking", "demand"),
    Kind.PEOPLE: ("people", "resource list", "resources", "staff", "team", "employees", "roster", "contacts"),
    Kind.STATUS: ("status", "highlight", "report", "update", "weekly", "monthly", "dashboard return",
                  "return", "dca"),
    Kind.PROJECTS: ("project", "portfolio", "register", "pipeline", "master", "list"),
    Kind.SCORES: ("score", "scoring", "prioritis", "prioritiz", "strategic"),
}
"""Words in a sheet's name that suggest its kind (used as a tie-breaker with the headers)."""

RAID_KIND_FROM_SHEET: tuple[tuple[str, str], ...] = (
    ("risk", "risk"), ("issue", "issue"), ("assumption", "assumption"),
    ("dependenc", "dependency"), ("dependanc", "dependency"),
)
"""Sheet-name fragments that fix the kind of every item on a RAID sheet ("Risks" -> risk)."""


def fields_for(kind: Kind) -> tuple[FieldSpec, ...]:
    """The canonical fields of one kind, in template order."""
    return FIELDS[kind]


def field_spec(kind: Kind, name: str) -> FieldSpec:
    """One field by name; KeyError if the kind has no such field."""
    for spec in FIELDS[kind]:
        if spec.name == name:
            return spec
    raise KeyError(f"{kind} has no field {name!r}")


def key_fields(kind: Kind) -> tuple[str, ...]:
    """Names of the fields that together identify a record of this kind."""
    return tuple(spec.name for spec in FIELDS[kind] if spec.key)


def raid_kind_from_sheet_name(sheet_name: str) -> str | None:
    """'Risk Register' -> 'risk'; 'RAID log' -> None (the sheet mixes kinds)."""
    lowered = sheet_name.lower()
    found = {kind for fragment, kind in RAID_KIND_FROM_SHEET if fragment in lowered}
    return found.pop() if len(found) == 1 else None
