"""What every part of the demo generator shares: the spec, the date, the seeded random source, the writer."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from .bulk import BulkWriter
from .spec import DemoSpec

T = TypeVar("T")


@dataclass
class BuildContext:
    """The state one build threads through its steps; all randomness comes from ``rng``."""

    spec: DemoSpec
    today: dt.date
    rng: random.Random
    writer: BulkWriter

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
