"""The Risks tab's parts: the RAID register model, the detail panel, undoable commands and editors."""
