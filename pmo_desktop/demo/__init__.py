"""A believable, deterministic demo office for trying the program, tests and benchmarks.

``build_demo(db, DemoSpec())`` fills an empty database; ``DemoSpec.scale(n)`` and
``DemoSpec.benchmark()`` make bigger (or smaller) offices; ``workbooks`` writes the matching
project managers' spreadsheets for import tests.
"""

from .generator import DemoError, DemoSummary, build_demo
from .spec import DemoSpec

__all__ = ["DemoError", "DemoSpec", "DemoSummary", "build_demo"]
