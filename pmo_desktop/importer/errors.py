"""Errors the importer reports to the coordinator: whole-file refusals and single-cell problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ImportFileError(Exception):
    """A spreadsheet that cannot be imported at all.

    ``message`` is plain English meant for the coordinator: it names the file, says what is
    wrong and what to do about it (usually: ask the project manager to re-save it).
    """

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(message)

    @classmethod
    def because(cls, path: str | Path, problem: str, advice: str) -> ImportFileError:
        """Build the error from its two halves: '<file> <problem>: <advice>'."""
        return cls(path, f"{Path(path).name} {problem}: {advice}")


@dataclass(frozen=True, slots=True)
class CellError:
    """One value that could not be parsed, located the way the coordinator sees it in Excel."""

    sheet: str
    row: int
    """1-based sheet row (for a transposed sheet, the row of the field label)."""
    column: str
    """The column's header as written in the sheet (or the form label)."""
    raw: object
    reason: str
    cell: str = ""
    """The Excel address ("C12") when known."""

    def describe(self) -> str:
        """One line for a report or a 'reason' column sent back to the project manager."""
        where = f"cell {self.cell}" if self.cell else f"row {self.row}"
        return f"{self.sheet}, {where}, {self.column}: {self.raw!r} - {self.reason}"
