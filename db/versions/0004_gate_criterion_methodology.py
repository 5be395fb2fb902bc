"""gate criteria tailored per methodology

Revision ID: 0004_gate_criterion_methodology
Revises: 0003_allocation_by_end_index
Create Date: 2026-11-26

A gate's checklist can differ by methodology: gate_criterion.methodology holds the methodology
a criterion applies to, or NULL for every methodology. Every existing criterion becomes NULL,
so each office keeps exactly the checklists it had.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_gate_criterion_methodology"
down_revision = "0003_allocation_by_end_index"
branch_labels = None
depends_on = None


CHECK = "methodology IS NULL OR methodology IN ('waterfall', 'agile', 'hybrid')"


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch rebuild: rebuilding gate_criterion on SQLite drops the old
    # table with foreign keys on, and that cascades into every stored criterion result.
    op.add_column("gate_criterion", sa.Column(
        "methodology", sa.String(length=20),
        sa.CheckConstraint(CHECK, name=op.f("ck_gate_criterion_methodology_valid")), nullable=True,
    ))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_gate_criterion_methodology_valid"), "gate_criterion", type_="check")
    op.drop_column("gate_criterion", "methodology")
