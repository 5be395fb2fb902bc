"""How big a demo office to build: ``DemoSpec`` with the default office, scaling and the benchmark size."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """Counts and seed for one generated office.

    The defaults describe a believable mid-sized office (5 programmes, 65 projects, 88 people).
    ``DemoSpec.scale(n)`` multiplies every count by ``n``; ``DemoSpec.benchmark()`` is the size
    the benchmarks run at. Counts are targets: allocations and RAID items land close to them;
    status reports follow from how long each project has been running, or are one per project
    and period when ``report_every_period`` is set.
    """

    seed: int = 2026
    programmes: int = 5
    projects: int = 65
    managers: int = 12
    people: int = 88
    allocations: int = 1_500
    raid_items: int = 330
    status_periods: int = 12
    allocation_months: int = 12
    missing_report_share: float = 0.06
    # Every project files a report every period (pipeline and stand-still reports included), so
    # that the benchmark's status history holds projects x periods rows.
    report_every_period: bool = False

    @classmethod
    def scale(cls, factor: float, *, seed: int | None = None) -> DemoSpec:
        """The default office with every count multiplied by ``factor``."""
        spec = cls() if seed is None else cls(seed=seed)
        return spec.scaled(factor)

    @classmethod
    def benchmark(cls, *, seed: int | None = None) -> DemoSpec:
        """The benchmark office: 2,000 projects, 1,000 people, 50,000 allocations, 20,000 RAID items
        and 24 months of status history for every project (about 48,000 reports)."""
        spec = cls(programmes=8, projects=2_000, managers=160, people=1_000, allocations=50_000,
                   raid_items=20_000, status_periods=24, report_every_period=True)
        return spec if seed is None else dataclasses.replace(spec, seed=seed)

    def scaled(self, factor: float) -> DemoSpec:
        """This spec with its counts multiplied by ``factor`` (history length and shares unchanged).

        Small factors keep enough of everything for every stage, role and RAID kind to appear.
        """
        def times(value: int, minimum: int) -> int:
            return max(minimum, round(value * factor))

        return dataclasses.replace(
            self,
            programmes=times(self.programmes, 2),
            projects=times(self.projects, 20),
            managers=times(self.managers, 3),
            people=times(self.people, 30),
            allocations=times(self.allocations, 100),
            raid_items=times(self.raid_items, 80),
        )
