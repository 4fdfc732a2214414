"""Result columns for one device's area by component (issue 28: a sweep colours or filters by them).

Rows stored before this revision leave them empty (re-run a sweep to fill them); their total `area_mm2` is kept.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("area_pe_array_mm2", "area_scratchpad_mm2", "area_accumulator_mm2", "area_nonlinear_mm2", "area_fixed_mm2")


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
