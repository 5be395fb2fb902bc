"""fingerprints of imported rows, so that a re-imported unchanged row is known without parsing it

Revision ID: 0005_import_fingerprint
Revises: 0004_gate_criterion_methodology
Create Date: 2026-11-26

import_fingerprint keeps, per kind and natural key, the hash of the row an import last applied
(its raw cells and what decides how they are read), the record it went to, that record's
version and the last audit event it had seen. It is derived data (model/imports.py says why it
needs no audit events): the table starts empty, so every office keeps exactly its records, and
the first import of each file after the upgrade fills it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_import_fingerprint"
down_revision = "0004_gate_criterion_methodology"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_fingerprint",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("natural_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("audit_mark", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"),
                  nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"],
                                name=op.f("fk_import_fingerprint_batch_id_import_batch"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_fingerprint")),
        sa.UniqueConstraint("kind", "natural_key", name=op.f("uq_import_fingerprint_kind_natural_key")),
    )
    op.create_index(op.f("ix_import_fingerprint_batch_id"), "import_fingerprint", ["batch_id"], unique=False)
    op.create_index(op.f("ix_import_fingerprint_fingerprint"), "import_fingerprint", ["fingerprint"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_import_fingerprint_fingerprint"), table_name="import_fingerprint")
    op.drop_index(op.f("ix_import_fingerprint_batch_id"), table_name="import_fingerprint")
    op.drop_table("import_fingerprint")
