"""Words the import screens show for kinds of sheet, fields, actions and confidence."""

from __future__ import annotations

from ...importer.fields import Kind, fields_for
from ...importer.plan import Action
from ...importer.session import GRID_FIELD, ColumnChoice, Source
from ...reports.templates import header_label

KIND_LABELS: dict[str, str] = {
    Kind.PROJECTS.value: "Projects",
    Kind.STATUS.value: "Status reports",
    Kind.RAID.value: "RAID log",
    Kind.MILESTONES.value: "Milestones",
    Kind.PEOPLE.value: "People",
    Kind.ALLOCATIONS.value: "Resource allocations",
    Kind.SCORES.value: "Strategic scores",
}
NO_KIND = "(do not import)"
IGNORE = "(ignore)"

ACTION_LABELS: dict[str, str] = {
    Action.NEW.value: "New",
    Action.UPDATE.value: "Changed",
    Action.UNCHANGED.value: "Unchanged",
    Action.REJECT.value: "Rejected",
}

BADGE_STYLE = ("QLabel { background: rgba(46, 139, 87, 0.14); color: palette(text); border: 1px solid "
               "rgba(46, 139, 87, 0.55); border-radius: 9px; padding: 2px 10px; }")
"""A small rounded tag ("Saved mapping applied")."""

UNMAPPED_RGBA = (240, 173, 78, 80)
"""Background of a column that will not be imported: translucent amber over the palette's base,
so the palette's own text colour stays readable in light and dark."""

ERROR_COLOUR = "#c0392b"


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(str(kind), NO_KIND) if kind else NO_KIND


def field_label(kind: Kind, name: str) -> str:
    """The field as the office's template heads it ("Project code", "% complete")."""
    if name == GRID_FIELD and kind is Kind.ALLOCATIONS:
        return "Hours per week"
    spec = next(spec for spec in fields_for(kind) if spec.name == name)
    return header_label(spec)


def confidence_text(column: ColumnChoice) -> str:
    """How sure the match is, in words a coordinator reads at a glance."""
    if column.field is None:
        return "Not imported"
    if column.source == Source.MATRIX:
        return matrix_match_text(column)
    if column.source == Source.SAVED:
        return "Saved mapping"
    if column.source == Source.USER:
        return "Chosen by you"
    if column.grid is not None:
        return f"Time grid ({column.grid.granularity})"
    return f"{column.confidence:.0%} match"


def matrix_field_text(column: ColumnChoice) -> str:
    """Where a scoring matrix's column goes: the project, a criterion's score, or nowhere."""
    if column.field is None:
        return IGNORE
    if column.criterion is not None:
        return f"Score for {column.criterion}"
    if column.unknown_criterion:
        return "Score (no such criterion)"
    return field_label(Kind.SCORES, column.field)


def matrix_match_text(column: ColumnChoice) -> str:
    """How a scoring matrix's column was recognised."""
    if column.criterion is not None:
        return "Criterion column"
    if column.unknown_criterion:
        return "No criterion"
    return "Project column" if column.field else "Not imported"
