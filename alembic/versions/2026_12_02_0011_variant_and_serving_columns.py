"""Result columns for the variant label and the serving metrics of text-generating models.

`variant` is filled for existing rows from their stored inputs (`params`); the serving metrics of existing rows
stay empty (their reports predate them; re-run a sweep to get them).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("variant", sa.String(64)), ("ttft_s", sa.Float()), ("tpot_s", sa.Float()), ("decode_tokens_per_s", sa.Float()),
    ("decode_energy_per_token_j", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    label = ("substr(params ->> 'variant', 1, 64)" if op.get_bind().dialect.name == "postgresql"
             else "substr(json_extract(params, '$.variant'), 1, 64)")
    op.execute(f"UPDATE design_points SET variant = {label}")


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
