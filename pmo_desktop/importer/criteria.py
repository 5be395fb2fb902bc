"""Match what a scoring sheet writes for a strategic criterion to the office's criteria.

A scoring sheet names a criterion in a cell (the long layout: Project | Criterion | Score) or
in a column header (the wide layout: one column per criterion). Either way the text is matched
the way the importer matches headers to canonical fields (mapping.normalise_header: case,
punctuation, "&"/"and", brackets and abbreviations; then the same words in any order; then a
close fuzzy match), against the names of the criteria stored in the office, which are not known
until the database is read. Nothing here creates a criterion: a name that matches none is the
row's error, because criteria and their weights are the office's decision (Settings).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .mapping import normalise_header

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

    def unknown_reason(self) -> str:
        """Why a criterion name that matches none is refused, listing the office's criteria."""
        if not self.names:
            return "is not a strategic criterion of this office, which has none yet; add criteria in Settings first"
        return f"is not one of the office's strategic criteria ({', '.join(self.names)}); correct the name"
