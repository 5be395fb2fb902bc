"""What every part of the demo generator shares: the spec, the date, the seeded random source, the writer."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from .bulk import BulkWriter
from .spec import DemoSpec

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Existing:
    """Natural keys already in the database, so that a demo added to it never collides with them."""

    role_ids: dict[str, int] = field(default_factory=dict)
    skill_ids: dict[str, int] = field(default_factory=dict)
    person_names: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    programme_names: frozenset[str] = frozenset()
    project_codes: frozenset[str] = frozenset()
    scenario_names: frozenset[str] = frozenset()
    holidays: frozenset[dt.date] = frozenset()
    portfolio_refs: frozenset[str] = frozenset()

    @property
    def code_prefixes(self) -> frozenset[str]:
        return frozenset(code.split("-", 1)[0] for code in self.project_codes)


@dataclass
class BuildContext:
    """The state one build threads through its steps; all randomness comes from ``rng``."""

    spec: DemoSpec
    today: dt.date
    rng: random.Random
    writer: BulkWriter
    existing: Existing = field(default_factory=Existing)

    def weighted(self, options: Sequence[tuple[T, float]]) -> T:
        """One of ``options`` (value, weight) chosen by weight."""
        values = [value for value, _ in options]
        weights = [weight for _, weight in options]
        return self.rng.choices(values, weights)[0]

    def days(self, low: int, high: int) -> dt.timedelta:
        """A random whole number of days between ``low`` and ``high`` inclusive."""
        return dt.timedelta(days=self.rng.randint(low, high))

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability


def pounds(value: float, step: int = 1) -> Decimal:
    """A money amount rounded to a whole ``step`` of pounds, as an exact Decimal with pence."""
    return Decimal(int(round(value / step)) * step).quantize(Decimal("0.01"))


def money(value: float) -> Decimal:
    """An amount to the penny, as an exact Decimal."""
    return Decimal(f"{value:.2f}")


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
