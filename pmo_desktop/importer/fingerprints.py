"""Fingerprints of imported rows: a row read again exactly as it was last applied is unchanged.

Re-importing a manager's file that changed nothing used to read, parse and compare every cell
of every row against the database. Each applied row of the kinds below now leaves a
fingerprint (``model.ImportFingerprint``, written with its import batch): a hash of the row's
raw cells together with everything that decides how those cells are read. When the same row
comes again, the planner parses only its key and reference fields, resolves its key as usual,
and calls it unchanged without parsing or comparing the rest when

* the fingerprint stored for that kind and key has the same hash (the same cells, read the same
  way: same columns, mapping, units, sheet context, parse options and program version);
* the stored record is the one the key names (its project, person or criterion is the one the
  key resolves to now), still has the version it had then, and has no audit event after the one
  the fingerprint noted: nobody edited, undid, deleted or re-created it since;
* the key appears once in the import (a duplicate key is planned in full, so that the rows it
  supersedes are rejected with their values) and blanks do not overwrite (``overwrite_blanks``
  compares in full: it can clear what an earlier import left).

Anything else is planned in full, exactly as without fingerprints, so a fingerprint can only
save work, never change a plan. Parsers are pure functions of the cell, the column and the
options, which is what makes "same cells, read the same way" mean "same values".

Kinds: status reports, milestones, RAID items, allocations (not from a wide time grid) and
scores - the records keyed by a project (and person or criterion) plus one more field. Projects
and people are keyed by code or name with generated codes, renames and uniqueness checks across
the whole import, and are few; they are always planned in full.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from functools import partial

from .. import __version__
from .fields import Kind
from .sheets import Layout, SheetTable
from .values import ParseOptions

READ_FIRST: dict[str, tuple[str, ...]] = {
    "status": ("project", "period_end"),
    "milestones": ("project", "name"),
    "raid": ("project", "ref", "depends_on"),
    "allocations": ("person", "project", "start"),
    "scores": ("project", "criterion"),
}
"""Kinds whose rows are fingerprinted, and the fields read before the rest: the natural key and
every reference the planner resolves (the only fields it changes while settling the key)."""

REQUIRED_FIRST: dict[str, tuple[str, ...]] = {
    "status": ("project", "period_end"),
    "milestones": ("project", "name"),
    "raid": ("ref",),
    "allocations": ("person", "project", "start"),
    "scores": ("project", "criterion"),
}
"""Key fields a row must have to be read key first (a portfolio-level RAID item has no project);
a row that lacks one is rejected, and is parsed in full straight away for its reasons."""

PARENT_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "status": (("project_id", "project"),),
    "milestones": (("project_id", "project"),),
    "raid": (("project_id", "project"), ("depends_on_project_id", "depends_on")),
    "allocations": (("person_id", "person_id"), ("project_id", "project")),
    "scores": (("project_id", "project"), ("criterion_id", "criterion_id")),
}
"""Per kind, the stored record's link columns and the planned row's resolved reference (a project
code, or an id) each must match for the record to be the one the row names now: a code can
have been given to another project since. A reference the row leaves blank is not checked."""


def fingerprinted(table: SheetTable) -> bool:
    """True when the rows of ``table`` are read key first and fingerprinted: one plain table of
    a kind listed in READ_FIRST, one record per row (no time grid)."""
    return (table.layout is Layout.TABLE and table.kind is not None and str(table.kind) in READ_FIRST
            and not table.mapping.grid and table.cells is None)


def sheet_context(table: SheetTable, options: ParseOptions) -> bytes:
    """What decides how a row of ``table`` is read, hashed: the kind, headers, each column's field,
    multiplier and unit, the sheet's RAID kind and project, the parse options and the program's
    version (a newer program may read the same cell differently)."""
    columns = tuple((c.index, c.field, str(c.multiplier), c.unit) for c in table.mapping.columns)
    kind = table.kind.value if isinstance(table.kind, Kind) else table.kind
    text = repr((__version__, sys.version_info[:2], kind, tuple(table.headers), table.first_column, columns,
                 table.raid_kind, table.project_hint, options))
    return hashlib.blake2b(text.encode(), digest_size=32).digest()


def row_fingerprint(context: bytes, raw: Sequence[object]) -> str:
    """The fingerprint of one row: its raw cells (types included) hashed with the sheet's context."""
    return row_hasher(context)(raw)


def row_hasher(context: bytes) -> Callable[[Sequence[object]], str]:
    """``row_fingerprint`` with the sheet's ``context`` set once (one call per row of a sheet)."""
    keyed = partial(hashlib.blake2b, digest_size=16, key=context)

    def fingerprint(raw: Sequence[object]) -> str:
        return keyed(repr(tuple(raw)).encode()).hexdigest()
    return fingerprint
