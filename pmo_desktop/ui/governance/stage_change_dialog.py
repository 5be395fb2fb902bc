"""Moving a project to another stage by hand, as far as the office's PMO type allows.

Supportive offices see a warning and may go ahead; controlling offices must write a reason when
no approved gate review backs the move; directive offices are refused and pointed at a review.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from ...model.enums import PmoType, Stage
from ...services import governance as gov
from ...services.errors import ConflictError, ServiceError, ValidationError
from ..context import AppContext
from ..forms.ui_gate_stage_change_dialog import Ui_GateStageChangeDialog
from ..undo import run_undoable


class StageChangeDialog(QDialog):
    """Asks for the target stage (and a reason when the rule needs one), then applies the move."""

    def __init__(self, ctx: AppContext, project: gov.ProjectChoice, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_GateStageChangeDialog()
        self.ui.setupUi(self)
        self._ctx = ctx
        self._project = project
        self._pmo_type = PmoType(ctx.settings.pmo_type)
        self._check: gov.StageRuleCheck | None = None
        self.result_change: gov.HandStageChange | None = None

        self.ui.heading_label.setText(f"Change the stage of {project.code}")
        self.ui.current_stage_label.setText(gov.stage_label(project.stage))
        for stage in Stage:
            if stage.value != project.stage:
                self.ui.to_stage_combo.addItem(stage.label, stage.value)
        self._select_next_stage()
        self.ok_button.setText("Change stage")
        self.ui.to_stage_combo.currentIndexChanged.connect(self._on_to_stage_combo_changed)
        self.ui.reason_edit.textChanged.connect(self._update_ok)
        self.ui.button_box.accepted.connect(self.accept)
        self.ui.button_box.rejected.connect(self.reject)
        self._on_to_stage_combo_changed()

    @property
    def ok_button(self):
        return self.ui.button_box.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def rule_message(self) -> str:
        """The warning, requirement or refusal shown to the user."""
        return self.ui.rule_label.text()

    def set_target(self, stage: str) -> None:
        self.ui.to_stage_combo.setCurrentIndex(self.ui.to_stage_combo.findData(stage))

    def _select_next_stage(self) -> None:
        lifecycle = [s.value for s in Stage.lifecycle()]
        if self._project.stage in lifecycle[:-1]:
            self.set_target(lifecycle[lifecycle.index(self._project.stage) + 1])

    def _on_to_stage_combo_changed(self, _index: int = 0) -> None:
        target = self.ui.to_stage_combo.currentData()
        self._check = self._ctx.read(gov.check_stage_change, self._project.id, target, self._pmo_type)
        check = self._check
        refused = not check.allowed
        self.ui.to_stage_combo.setEnabled(not refused)
        self.ui.reason_edit.setEnabled(not refused)
        self.ui.reason_label.setText("&Reason (required)" if check.reason_required else "&Reason")
        if check.message:
            self._show(check.message, "error" if refused or check.reason_required else "warning")
        else:
            self._show(f"An approved gate review backs the move to {gov.stage_label(target)}.", "hint")
        self._update_ok()

    def _update_ok(self) -> None:
        check = self._check
        reason_given = bool(self.ui.reason_edit.toPlainText().strip())
        self.ok_button.setEnabled(bool(check and check.allowed and (reason_given or not check.reason_required)))

    def _show(self, text: str, role: str) -> None:
        label = self.ui.rule_label
        label.setText(text)
        label.setProperty("role", "error" if role == "error" else "hint")
        # A warning stays readable in both palettes; errors use the stylesheet's red.
        label.setStyleSheet("color: #9a6a00; font-weight: 600;" if role == "warning" else "")
        label.style().unpolish(label)
        label.style().polish(label)

    def accept(self) -> None:
        """Apply the move through the undo stack; stay open with the reason when it fails."""
        target = self.ui.to_stage_combo.currentData()
        reason = self.ui.reason_edit.toPlainText()
        project = self._project

        def do(session):
            return gov.change_stage_by_hand(session, project.id, target, reason, project.version, self._pmo_type)

        def undo(session, change: gov.HandStageChange):
            gov.undo_stage_change(session, change.stage_change_id)

        try:
            self.result_change = run_undoable(
                self._ctx, f"Move {project.code} to {gov.stage_label(target)}", do, undo, entity="*")
        except ValidationError as exc:
            self._show(" ".join(e.message for e in exc.errors), "error")
            return
        except ConflictError:
            self._show(f"{project.code} was changed by someone else since you opened it. "
                       "Close this dialog and try again on the current data.", "error")
            return
        except ServiceError as exc:
            self._show(str(exc), "error")
            return
        super().accept()
