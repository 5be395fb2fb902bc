"""Match what a scoring sheet writes for a strategic criterion to the office's criteria.

A scoring sheet names a criterion in a cell (the long layout: Project | Criterion | Score) or
in a column header (the wide layout: one column per criterion). Either way the text is matched
the way the importer matches headers to canonical fields (mapping.normalise_header: case,
punctuation, "&"/"and", brackets and abbreviations; then the same words in any order; then a
close fuzzy match), against the names of the criteria stored in the office, which are not known
until the database is read. Nothing here creates a criterion: a name that matches none is the
row's error, because criteria and their weights are the office's decision (File > Strategic Criteria).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .mapping import normalise_header

CRITERIA_LIST = "File > Strategic Criteria"
"""Where the office keeps its list of strategic criteria, as a coordinator finds it in the menus."""
FUZZY_CUTOFF = 88
"""rapidfuzz token_sort_ratio needed for a fuzzy match (the header matcher's threshold)."""


def _bag(normalised: str) -> str:
    return " ".join(sorted(normalised.split()))


@dataclass(slots=True)
class CriterionMatcher:
    """The office's criteria by normalised name, for matching cells and headers to them."""

    names: tuple[str, ...]
    _exact: dict[str, str] = field(default_factory=dict)
    _bags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.names:
            norm = normalise_header(name)
            self._exact.setdefault(norm, name)
            self._bags.setdefault(_bag(norm), name)

    @classmethod
    def of(cls, names: Iterable[str]) -> CriterionMatcher:
        return cls(tuple(names))

    def match(self, text: object) -> str | None:
        """The stored name of the criterion ``text`` means, or None when it matches none."""
        if text is None:
            return None
        norm = normalise_header(text)
        if not norm:
            return None
        if norm in self._exact:
            return self._exact[norm]
        if _bag(norm) in self._bags:
            return self._bags[_bag(norm)]
        if len(norm) < 5 or not self._exact:
            return None
        best = process.extractOne(norm, tuple(self._exact), scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF)
        return self._exact[best[0]] if best is not None else None

    def unknown_reason(self, name: str | None = None) -> str:
        """Why a criterion name that matches none is refused: the list it is missing from, and what to do.

        ``name`` is the criterion as the sheet writes it, given when the rejected cell does not hold it
        (a scoring matrix's column header, whose cells hold scores); without it the reason follows the
        cell's value (the long layout's Criterion cell, a column's note).
        """
        subject = "is" if name is None else f"'{name}' is"
        fix = "correct the name" if name is None else "rename the column to one of them"
        if not self.names:
            return (f"{subject} not a strategic criterion of this office, whose list of criteria is empty; add the "
                    f"office's criteria under {CRITERIA_LIST} first, then import the file again")
        return (f"{subject} not in the office's list of strategic criteria ({', '.join(self.names)}); add it to "
                f"that list under {CRITERIA_LIST} or {fix}, then import the file again")
