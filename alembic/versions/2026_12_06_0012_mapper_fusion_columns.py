"""Result columns for the mapper, the fusion groups asked for and applied, and the calibrated GEMM efficiency.

Existing rows were evaluated by the optimal mapper at efficiency 1 and record that; which fusion groups their
reports applied is not recorded in them (empty; re-run a sweep to get it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("gemm_efficiency", sa.Float()), ("mapper", sa.String(64)), ("fusion", sa.String(128)),
    ("fused_groups", sa.String(128)),
)


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.execute("UPDATE design_points SET mapper = 'optimal', gemm_efficiency = 1.0 WHERE error IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
