"""The Portfolio tab's panels and dialogs: project details, milestones, undoable edits."""
