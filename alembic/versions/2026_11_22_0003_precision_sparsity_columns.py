"""Result columns for the simulator's number-format, sparsity and KV-cache knobs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("array_format", sa.String(length=64)),
    ("sparse_support", sa.Boolean()),
    ("weight_precision", sa.String(length=64)),
    ("activation_precision", sa.String(length=64)),
    ("sparsity", sa.String(length=64)),
    ("kv_cache", sa.Boolean()),
]


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
