"""Result column for the published quality loss of a point's quantization/sparsity setting.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        batch_op.add_column(sa.Column("quality_loss", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        batch_op.drop_column("quality_loss")
