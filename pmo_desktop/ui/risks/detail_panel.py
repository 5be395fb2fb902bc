"""The RAID detail panel: every field of one item with proper editors, saved through undoable commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox, QWidget
from sqlalchemy.orm import Session

from ...model import Escalation, RaidKind, RaidStatus, RiskResponse
from ...services import raid
from ...services.errors import ConflictError, NotFoundError, ServiceError, ValidationError
from ...services.raid import LIKELIHOOD_WORDS, RaidDetail, RaidDraft, ScoreBand, score_band
from ..context import AppContext
from ..forms.ui_raid_detail_panel import Ui_RaidDetailPanel
from ..theme import RAG_COLOURS, rag_text_colour
from .commands import RaidCommands
from .conflict import raid_value_text, resolve_conflict
from .raid_table_model import BAND_RAG

NONE_TEXT = "—"
PORTFOLIO_LEVEL = "Portfolio-level"

FIELD_LABELS = {
    "project_id": "Project", "kind": "Kind", "ref": "Ref", "title": "Title", "description": "Description",
    "category": "Category", "owner": "Owner", "raised": "Raised", "due": "Due", "likelihood": "Likelihood",
    "impact": "Impact", "cost_impact": "Cost impact", "status": "Status", "response": "Response",
    "mitigation": "Mitigation", "escalation": "Escalation", "depends_on_project_id": "Depends on project",
    "depends_on_milestone_id": "Depends on milestone", "last_reviewed": "Last reviewed",
    "scope_key": "Project", "closed_on": "Closed on", "became_item_id": "Became issue",
}
"""Words for the fields in conflict and error messages."""


def _set_combo_data(combo: QComboBox, value: Any) -> None:
    combo.setCurrentIndex(max(combo.findData(value), 0))


def _fill_enum(combo: QComboBox, enum, *, with_none: bool = False) -> None:
    combo.clear()
    if with_none:
        combo.addItem(NONE_TEXT, None)
    for member in enum:
        combo.addItem(member.label, member.value)


def _local_time(moment: dt.datetime) -> str:
    # Timestamps are stored in UTC (SQLite hands them back without a zone).
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return f"{aware.astimezone():%d %b %Y %H:%M}"


def _text_or_none(text: str) -> str | None:
    return text.strip() or None


MIN_COMBO_CHARACTERS = 10
"""Combos in the form show at least this many characters and otherwise take the width they are given."""


@dataclass(frozen=True, slots=True)
class PanelChoices:
    """What the panel's pickers offer: every project, the categories used, the owners."""

    projects: tuple[raid.ProjectChoice, ...]
    categories: tuple[str, ...]
    owners: tuple[str, ...]


def read_choices(session: Session) -> PanelChoices:
    """The pickers' choices, read in one session (safe on a worker thread: no widgets)."""
    return PanelChoices(tuple(raid.project_choices(session)), tuple(raid.category_choices(session)),
                        tuple(raid.owner_choices(session)))


class RaidDetailPanel(QWidget):
    """Shows one RAID item (or a new one) and saves it; inline messages say what to fix."""

    #: An item was created, saved, converted or restored: its id (the tab selects it).
    item_saved = Signal(int)
    #: The user followed a link to another item.
    open_item = Signal(int)
    #: "New item" was clicked: the owner decides the project and kind, then calls ``start_new``.
    new_requested = Signal()

    def __init__(self, ctx: AppContext, commands: RaidCommands | None = None, parent: QWidget | None = None,
                 *, today: Callable[[], dt.date] = dt.date.today):
        super().__init__(parent)
        self.ui = Ui_RaidDetailPanel()
        self.ui.setupUi(self)
        self.ctx = ctx
        self.commands = commands or RaidCommands(ctx)
        self._today = today
        self.current: RaidDetail | None = None
        self._baseline: RaidDraft | None = None
        self._loading = False
        self._choices: PanelChoices | None = None  # what the pickers hold (None: not filled yet)
        self._error_labels = {
            "ref": self.ui.ref_error, "title": self.ui.title_error,
            "likelihood": self.ui.assessment_error, "impact": self.ui.assessment_error,
            "response": self.ui.assessment_error, "cost_impact": self.ui.cost_error,
            "raised": self.ui.dates_error, "due": self.ui.dates_error, "last_reviewed": self.ui.dates_error,
            "depends_on_project_id": self.ui.dependency_error,
            "depends_on_milestone_id": self.ui.dependency_error,
        }
        self._field_widgets = {
            "project_id": self.ui.project_combo, "kind": self.ui.kind_combo, "ref": self.ui.ref_edit,
            "title": self.ui.title_edit, "description": self.ui.description_edit,
            "category": self.ui.category_combo, "owner": self.ui.owner_combo, "status": self.ui.status_combo,
            "escalation": self.ui.escalation_combo, "likelihood": self.ui.likelihood_combo,
            "impact": self.ui.impact_combo, "cost_impact": self.ui.cost_spin,
            "response": self.ui.response_combo, "mitigation": self.ui.mitigation_edit,
            "raised": self.ui.raised_edit, "due": self.ui.due_edit, "last_reviewed": self.ui.last_reviewed_edit,
            "depends_on_project_id": self.ui.depends_project_combo,
            "depends_on_milestone_id": self.ui.depends_milestone_combo,
        }
        self._setup_editors()
        self._connect()
        # Nothing is read here: pickers fill on the owner's first refresh() (the tab loads when shown).
        self.clear()

    # -- set-up ------------------------------------------------------------------------------
    def _setup_editors(self) -> None:
        ui = self.ui
        # The form must fit the panel: a combo sized to its longest entry ("DCX-025 — Contact Centre
        # Telephony Replacement Phase 2") made the form wider than the panel, and its right edge was cut
        # off (the scroll area never scrolls sideways). Combos shrink with the panel instead.
        ui.scroll_area.setWidgetResizable(True)
        for combo in self.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(MIN_COMBO_CHARACTERS)
        _fill_enum(ui.kind_combo, RaidKind)
        _fill_enum(ui.status_combo, RaidStatus)
        _fill_enum(ui.escalation_combo, Escalation)
        _fill_enum(ui.response_combo, RiskResponse, with_none=True)
        for combo in (ui.likelihood_combo, ui.impact_combo):
            combo.addItem(NONE_TEXT, None)
            for value, word in LIKELIHOOD_WORDS.items():
                combo.addItem(f"{value} · {word}", value)
        ui.score_label.setAutoFillBackground(False)
        for label in set(self._error_labels.values()) | {ui.item_error, ui.form_error}:
            label.hide()

    def _connect(self) -> None:
        ui = self.ui
        for combo in (ui.project_combo, ui.kind_combo, ui.status_combo, ui.escalation_combo,
                      ui.likelihood_combo, ui.impact_combo, ui.response_combo, ui.depends_milestone_combo):
            combo.currentIndexChanged.connect(self._on_edited)
        for combo in (ui.category_combo, ui.owner_combo):
            combo.editTextChanged.connect(self._on_edited)
        for edit in (ui.ref_edit, ui.title_edit):
            edit.textChanged.connect(self._on_edited)
        for edit in (ui.description_edit, ui.mitigation_edit):
            edit.textChanged.connect(self._on_edited)
        ui.cost_spin.valueChanged.connect(self._on_edited)
        for name in ("raised", "due", "last_reviewed"):
            edit = getattr(ui, f"{name}_edit")
            edit.dateChanged.connect(self._on_edited)
            getattr(ui, f"{name}_clear").clicked.connect(edit.clear_date)
        ui.depends_project_combo.currentIndexChanged.connect(self._on_depends_project_changed)
        ui.link_label.linkActivated.connect(self._on_link_activated)
        ui.new_button.clicked.connect(self.new_requested)
        ui.save_button.clicked.connect(self.save)
        ui.revert_button.clicked.connect(self.revert)
        ui.delete_button.clicked.connect(self.delete)
        ui.convert_button.clicked.connect(self.convert_to_issue)
        ui.reviewed_button.clicked.connect(self.mark_reviewed)

    def reload_choices(self) -> None:
        """Re-read projects, categories and owners for the pickers, keeping what is shown."""
        self.set_choices(self.ctx.read(read_choices))

    def set_choices(self, choices: PanelChoices) -> None:
        """Offer ``choices`` in the pickers, keeping what is shown.

        A picker is refilled only when its list changed: the two project pickers hold every project
        (4,000 items at 2,000 projects), and most refreshes change none of them.
        """
        self.ui.cost_spin.setPrefix(self.ctx.currency_symbol)
        shown, self._choices = self._choices, choices
        was_loading, self._loading = self._loading, True
        try:
            if shown is None or choices.projects != shown.projects:
                for combo, first in ((self.ui.project_combo, PORTFOLIO_LEVEL),
                                     (self.ui.depends_project_combo, NONE_TEXT)):
                    current = combo.currentData()
                    combo.clear()
                    combo.addItem(first, None)
                    for project in choices.projects:
                        combo.addItem(f"{project.code} — {project.name}", project.id)
                    _set_combo_data(combo, current)
            for combo, values, before in ((self.ui.category_combo, choices.categories, shown and shown.categories),
                                          (self.ui.owner_combo, choices.owners, shown and shown.owners)):
                if values == before:
                    continue
                text = combo.currentText()
                combo.clear()
                combo.addItems(["", *values])
                combo.setEditText(text)
        finally:
            self._loading = was_loading

    def _fill_milestones(self, project_id: int | None, selected: int | None = None) -> None:
        combo = self.ui.depends_milestone_combo
        was_loading, self._loading = self._loading, True
        try:
            combo.clear()
            combo.addItem(NONE_TEXT, None)
            if project_id is not None:
                for milestone in self.ctx.read(raid.milestone_choices, project_id):
                    when = f" ({milestone.date:%d %b %Y})" if milestone.date else ""
                    combo.addItem(f"{milestone.name}{when}", milestone.id)
            _set_combo_data(combo, selected)
            combo.setEnabled(project_id is not None)
        finally:
            self._loading = was_loading

    # -- showing an item -------------------------------------------------------------------------
    @property
    def current_id(self) -> int | None:
        return self.current.id if self.current else None

    @property
    def is_new(self) -> bool:
        return self._baseline is not None and self.current is None

    def clear(self) -> None:
        """Show nothing: only "New item" is available."""
        self.current, self._baseline = None, None
        self._write_form(RaidDraft())
        self.ui.heading_label.setText("No item selected")
        self.ui.subheading_label.setText("Select an item in the register, or start a new one.")
        self.ui.link_label.clear()
        self.ui.scroll_area.setEnabled(False)
        self._clear_errors()
        self._update_state()

    def show_item(self, item_id: int | None) -> None:
        """Load the stored item (a missing one clears the panel)."""
        if item_id is None:
            self.clear()
            return
        try:
            detail = self.ctx.read(raid.get_item, item_id)
        except NotFoundError:
            self.clear()
            return
        self.current = detail
        self._write_form(detail.draft)
        self._baseline = self.form_draft()
        self.ui.scroll_area.setEnabled(True)
        self._show_heading()
        self._clear_errors()
        self._update_state()

    def start_new(self, *, project_id: int | None = None, kind: str | None = None) -> None:
        """A blank item (raised today, open) in the given project and kind, ready to type into.

        Unsaved edits are dropped: callers ask ``confirm_leave()`` first.
        """
        self.current = None
        draft = RaidDraft(project_id=project_id, kind=kind or RaidKind.RISK.value, raised=self._today())
        self._write_form(draft)
        self._baseline = self.form_draft()
        self.ui.scroll_area.setEnabled(True)
        self.ui.heading_label.setText(f"New {RaidKind(draft.kind).label.lower()}")
        self.ui.subheading_label.setText("Not saved yet. The ref is assigned on save unless you type one.")
        self.ui.link_label.clear()
        self._clear_errors()
        self._update_state()
        self.ui.title_edit.setFocus()

    def refresh(self, choices: PanelChoices | None = None) -> None:
        """After data changed elsewhere: re-read choices (or take ``choices``) and, unless editing, the item."""
        if choices is None:
            self.reload_choices()
        else:
            self.set_choices(choices)
        if self.current is not None and not self.is_dirty():
            self.show_item(self.current.id)

    def _show_heading(self) -> None:
        detail = self.current
        assert detail is not None
        self.ui.heading_label.setText(f"{detail.ref} · {detail.draft.title}")
        kind = RaidKind(detail.draft.kind).label
        self.ui.subheading_label.setText(f"{kind} in {detail.project_code} · last saved {_local_time(detail.updated_at)}")
        links = []
        if detail.became is not None:
            links.append(f"Became {RaidKind(detail.became.kind).label.lower()} "
                         f"<a href='item:{detail.became.id}'>{detail.became.ref}</a>")
        for source in detail.converted_from:
            links.append(f"Raised from {RaidKind(source.kind).label.lower()} "
                         f"<a href='item:{source.id}'>{source.ref}</a>")
        self.ui.link_label.setText(" · ".join(links))
        self.ui.link_label.setVisible(bool(links))

    def _write_form(self, draft: RaidDraft) -> None:
        ui = self.ui
        self._loading = True
        try:
            _set_combo_data(ui.project_combo, draft.project_id)
            _set_combo_data(ui.kind_combo, draft.kind)
            ui.ref_edit.setText(draft.ref or "")
            ui.title_edit.setText(draft.title or "")
            ui.title_edit.setCursorPosition(0)
            ui.description_edit.setPlainText(draft.description or "")
            ui.category_combo.setEditText(draft.category or "")
            ui.owner_combo.setEditText(draft.owner or "")
            _set_combo_data(ui.status_combo, draft.status)
            _set_combo_data(ui.escalation_combo, draft.escalation)
            _set_combo_data(ui.likelihood_combo, draft.likelihood)
            _set_combo_data(ui.impact_combo, draft.impact)
            ui.cost_spin.setValue(float(draft.cost_impact or 0))
            _set_combo_data(ui.response_combo, draft.response)
            ui.mitigation_edit.setPlainText(draft.mitigation or "")
            ui.raised_edit.set_date_value(draft.raised)
            ui.due_edit.set_date_value(draft.due)
            ui.last_reviewed_edit.set_date_value(draft.last_reviewed)
            _set_combo_data(ui.depends_project_combo, draft.depends_on_project_id)
            self._fill_milestones(draft.depends_on_project_id, draft.depends_on_milestone_id)
        finally:
            self._loading = False
        self._update_score()

    def form_draft(self) -> RaidDraft:
        """What the form says now."""
        ui = self.ui
        cost = ui.cost_spin.value()
        return RaidDraft(
            project_id=ui.project_combo.currentData(),
            kind=ui.kind_combo.currentData(),
            ref=_text_or_none(ui.ref_edit.text()),
            title=ui.title_edit.text().strip(),
            description=_text_or_none(ui.description_edit.toPlainText()),
            category=_text_or_none(ui.category_combo.currentText()),
            owner=_text_or_none(ui.owner_combo.currentText()),
            raised=ui.raised_edit.date_value(),
            due=ui.due_edit.date_value(),
            likelihood=ui.likelihood_combo.currentData(),
            impact=ui.impact_combo.currentData(),
            cost_impact=Decimal(f"{cost:.2f}") if cost > 0 else None,
            status=ui.status_combo.currentData(),
            response=ui.response_combo.currentData(),
            mitigation=_text_or_none(ui.mitigation_edit.toPlainText()),
            escalation=ui.escalation_combo.currentData(),
            depends_on_project_id=ui.depends_project_combo.currentData(),
            depends_on_milestone_id=ui.depends_milestone_combo.currentData(),
            last_reviewed=ui.last_reviewed_edit.date_value(),
        )

    def is_dirty(self) -> bool:
        return self._baseline is not None and self.form_draft() != self._baseline

    # -- live feedback ---------------------------------------------------------------------------
    def _on_edited(self, *_args) -> None:
        if self._loading:
            return
        self._update_score()
        self._check_live()
        self._update_state()

    def _on_depends_project_changed(self, _index: int) -> None:
        if self._loading:
            return
        self._fill_milestones(self.ui.depends_project_combo.currentData())
        self._on_edited()

    def _update_score(self) -> None:
        likelihood = self.ui.likelihood_combo.currentData()
        impact = self.ui.impact_combo.currentData()
        label = self.ui.score_label
        if likelihood is None or impact is None:
            label.setText("no score")
            label.setStyleSheet("QLabel { border: 1px dashed palette(mid); border-radius: 4px; padding: 2px 8px; }")
            label.setToolTip("Choose a likelihood and an impact to score the item")
            return
        score = likelihood * impact
        band = score_band(score, *self._thresholds())
        assert band is not None
        rag = BAND_RAG[band.value]
        label.setText(f"{score} · {band.label}")
        label.setStyleSheet(
            f"QLabel {{ background: {RAG_COLOURS[rag]}; color: {rag_text_colour(rag)}; font-weight: 600;"
            f" border-radius: 4px; padding: 2px 8px; }}")
        label.setToolTip(self._band_explanation(band))

    def _thresholds(self) -> tuple[int, int]:
        """The office's amber and red scores (the defaults until the settings row exists)."""
        settings = self.ctx.settings
        return (settings.risk_amber_score or raid.DEFAULT_AMBER_SCORE,
                settings.risk_red_score or raid.DEFAULT_RED_SCORE)

    def _band_explanation(self, band: ScoreBand) -> str:
        amber, red = self._thresholds()
        return f"{band.label}: the office treats {amber}-{red - 1} as medium and {red} or more as high"

    def _check_live(self) -> None:
        """The checks that need no database, shown as the user types."""
        draft = self.form_draft()
        errors = {}
        # A new item's empty title is reported on save, not while the user fills the other fields.
        if not draft.title and self._baseline is not None and self._baseline.title:
            errors["title"] = "Title is required: say in a few words what the item is."
        if draft.raised and draft.due and draft.due < draft.raised:
            errors["due"] = "The due date is before the date raised: it must be on or after it."
        for name in ("title", "due"):
            self._set_field_error(name, errors.get(name))

    def _update_state(self) -> None:
        ui = self.ui
        has_item = self.current is not None
        editing = self._baseline is not None
        dirty = self.is_dirty()
        kind = ui.kind_combo.currentData()
        ui.save_button.setEnabled(editing and (dirty or self.is_new))
        ui.revert_button.setEnabled(editing and dirty)
        ui.delete_button.setEnabled(has_item)
        ui.reviewed_button.setEnabled(has_item)
        # Other kinds may carry a dependency too (imported logs do): then it stays in view.
        ui.dependency_group.setVisible(kind == RaidKind.DEPENDENCY
                                       or ui.depends_project_combo.currentData() is not None)
        convertible = (has_item and self.current.draft.kind == RaidKind.RISK and self.current.became is None
                       and self.current.draft.status != RaidStatus.CLOSED)
        ui.convert_button.setVisible(kind == RaidKind.RISK or not editing)
        ui.convert_button.setEnabled(bool(convertible) and not dirty)
        if has_item and self.current.became is not None:
            ui.convert_button.setToolTip(f"Already became {self.current.became.ref}")
        elif dirty:
            ui.convert_button.setToolTip("Save or revert your changes first")
        else:
            ui.convert_button.setToolTip("The risk has happened: create an issue from it and close the risk")

    # -- errors ----------------------------------------------------------------------------------
    def _set_field_error(self, name: str, message: str | None) -> None:
        widget = self._field_widgets.get(name)
        if widget is not None:
            widget.setProperty("invalid", bool(message))
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        label = self._error_labels.get(name, self.ui.item_error if name in self._field_widgets else self.ui.form_error)
        self._set_label(label, message, owner=name)

    def _set_label(self, label: QLabel, message: str | None, *, owner: str) -> None:
        # Several fields share a label: keep each field's message until that field is fixed.
        messages: dict[str, str] = label.property("messages") or {}
        messages = {k: v for k, v in messages.items() if k != owner}
        if message:
            messages[owner] = message
        label.setProperty("messages", messages)
        label.setText("\n".join(messages.values()))
        label.setVisible(bool(messages))

    def _clear_errors(self) -> None:
        for name in self._field_widgets:
            self._set_field_error(name, None)
        for label in (self.ui.item_error, self.ui.form_error, *self._error_labels.values()):
            label.setProperty("messages", {})
            label.clear()
            label.hide()

    def _show_validation(self, error: ValidationError) -> None:
        self._clear_errors()
        for field_error in error.errors:
            self._set_field_error(field_error.field, field_error.message)
        first = next((self._field_widgets[e.field] for e in error.errors if e.field in self._field_widgets), None)
        if first is not None:
            self.ui.scroll_area.ensureWidgetVisible(first)
            first.setFocus()

    def _show_problem(self, message: str) -> None:
        self._set_label(self.ui.form_error, message, owner="form")

    # -- actions -----------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save the form (create or update); True when stored, False when something must be fixed."""
        if self._baseline is None:
            return False
        draft = self.form_draft()
        self._clear_errors()
        if self.current is None:
            return self._run(lambda: self.commands.create(draft, today=self._today()))
        changes = self._baseline.changes_to(draft)
        if not changes:
            return True
        return self._save_changes(self.current, changes)

    def _save_changes(self, detail: RaidDetail, changes: dict[str, Any]) -> bool:
        return self._run(
            lambda: self.commands.save(detail.id, changes, detail.version, ref=detail.ref, today=self._today()),
            on_conflict=lambda exc: self._resolve(exc, detail, changes))

    def _run(self, write: Callable[[], Any], on_conflict: Callable[[ConflictError], bool] | None = None) -> bool:
        """Run one undoable write; show what went wrong next to the fields, or the saved item."""
        try:
            saved = write()
        except ValidationError as exc:
            self._show_validation(exc)
            return False
        except ConflictError as exc:
            if on_conflict is not None:
                return on_conflict(exc)
            self._show_problem(str(exc))
            return False
        except ServiceError as exc:
            self._show_problem(str(exc))
            return False
        self._after_write(saved.id)
        return True

    def _after_write(self, item_id: int) -> None:
        self.show_item(item_id)
        self.item_saved.emit(item_id)

    def _resolve(self, error: ConflictError, detail: RaidDetail, changes: dict[str, Any]) -> bool:
        """Ask whose values win: "mine" saves my changes over the stored version, "theirs" reloads."""
        choice = resolve_conflict(self, error, FIELD_LABELS, self._value_text)
        if choice == "theirs":
            self.show_item(detail.id)
            return False
        if choice != "mine":
            self._show_problem("Not saved: someone else changed this item. Save again to choose, or Revert.")
            return False
        if error.deleted:
            draft = self.form_draft()
            self.current = None
            return self._run(lambda: self.commands.create(draft, today=self._today()))
        try:
            stored = self.ctx.read(raid.get_item, detail.id)
        except NotFoundError:
            self.clear()
            return False
        return self._save_changes(stored, changes)

    def _value_text(self, field: str, value: Any) -> str:
        """A conflicting value as the panel shows it (projects by code)."""
        if field == "project_id" and value is None:
            return PORTFOLIO_LEVEL
        combo = self.ui.project_combo
        codes = {combo.itemData(i): combo.itemText(i).split(" — ")[0] for i in range(1, combo.count())}
        return raid_value_text(field, value, codes)

    def revert(self) -> None:
        """Throw away the edits: the stored item again, or a fresh new one."""
        if self.current is not None:
            self.show_item(self.current.id)
        elif self._baseline is not None:
            self._write_form(self._baseline)
            self._clear_errors()
            self._update_state()

    def delete(self) -> None:
        """Delete the item after a confirmation (undo brings it back)."""
        detail = self.current
        if detail is None or not self._confirm(
                "Delete item", f"Delete {detail.ref} “{detail.draft.title}” from {detail.project_code}?\n\n"
                               "Edit > Undo brings it back.", default_yes=False):
            return
        if self._command("deleted", detail, lambda: self.commands.delete(detail.id, detail.version,
                                                                         ref=detail.ref)) is not None:
            self.clear()

    def convert_to_issue(self) -> None:
        """Create an issue from the risk and close the risk; the new issue is shown."""
        detail = self.current
        if detail is None or detail.draft.kind != RaidKind.RISK or not self._confirm(
                "Convert to issue", f"Has {detail.ref} “{detail.draft.title}” happened?\n\nAn issue is created "
                                    "with its details; the risk is closed and linked to it, with its history kept.",
                default_yes=True):
            return
        conversion = self._command("converted", detail, lambda: self.commands.convert_to_issue(
            detail.id, detail.version, ref=detail.ref, today=self._today()))
        if conversion is not None:
            self._after_write(conversion.issue_id)

    def _confirm(self, title: str, text: str, *, default_yes: bool) -> bool:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        return QMessageBox.question(self, title, text, yes | no, yes if default_yes else no) == yes

    def _command(self, verb: str, detail: RaidDetail, write: Callable[[], Any]) -> Any | None:
        """Run a delete or a conversion; when refused, show the stored item and say why (None)."""
        try:
            return write()
        except ConflictError as exc:
            self.show_item(None if exc.deleted else detail.id)
            self._show_problem(f"Not {verb}: {exc}")
        except ServiceError as exc:
            self._show_problem(str(exc))
        return None

    def mark_reviewed(self) -> None:
        """Set last reviewed to today and save (with any other edits in the form)."""
        if self.current is None:
            return
        self.ui.last_reviewed_edit.set_date_value(self._today())
        self.save()

    def confirm_leave(self) -> bool:
        """Before showing something else: offer to save unsaved edits. False means stay."""
        if not self.is_dirty():
            return True
        what = self.current.ref if self.current else "the new item"
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save your changes to {what}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _on_link_activated(self, link: str) -> None:
        if link.startswith("item:"):
            self.open_item.emit(int(link.removeprefix("item:")))
