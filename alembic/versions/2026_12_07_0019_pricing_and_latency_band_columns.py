"""Result columns for the accelerator's `pricing` (analytic | gemmini-measured) and the latency's error band where
Gemmini's measured execution model prices some op (issue 27, item 7: `latency_low_s`, `latency_high_s`).

Rows stored before this revision were priced by the analytic model: their `pricing` is set to 'analytic' and their
band stays empty (the analytic model has none).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("pricing", sa.String(64)), ("latency_low_s", sa.Float()), ("latency_high_s", sa.Float()))


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.execute("UPDATE design_points SET pricing = 'analytic' WHERE error IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
