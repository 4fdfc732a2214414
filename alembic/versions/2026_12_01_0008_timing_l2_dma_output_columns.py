"""Result columns for the fold timing, the L2, the DMA's requests in flight, the non-linear passes, the tiling and
GEMM output width options, and the compulsory DRAM traffic metric.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("timing", sa.String(64)), ("l2_kib", sa.Float()), ("l2_bytes_per_cycle", sa.Float()),
    ("l2_latency_cycles", sa.BigInteger()), ("dma_request_bytes", sa.BigInteger()),
    ("dma_max_in_flight", sa.BigInteger()), ("nonlinear_passes", sa.Float()), ("tiling", sa.String(64)),
    ("gemm_output", sa.String(64)), ("compulsory_dram_bytes", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
