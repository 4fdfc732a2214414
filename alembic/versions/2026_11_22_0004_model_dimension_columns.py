"""Result columns for model dimensions (architecture search: layers, hidden size, heads, KV heads, FFN size/kind).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("num_layers", sa.BigInteger()),
    ("d_model", sa.BigInteger()),
    ("num_heads", sa.BigInteger()),
    ("num_kv_heads", sa.BigInteger()),
    ("d_ff", sa.BigInteger()),
    ("ffn_kind", sa.String(length=64)),
]


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
