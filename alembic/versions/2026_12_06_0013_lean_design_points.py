"""Lean design points: the per-class/per-phase breakdown replaces the stored report and inputs, and sweeps and
chunks record the simulator fingerprint that evaluated them.

A point is a pure function of (spec, index): its inputs and its full report are recomputed on demand
(GET /api/points/{id}), so a row keeps only its columns and a 204-byte breakdown (cycles, energy and DRAM bytes by
op class and by phase, float32). Existing rows get their breakdown from their stored report's operator rows; then
`report` and `params` are dropped. Their fingerprint is unknown (empty): the point page says so when it recomputes.
PostgreSQL returns the space to the table only after VACUUM FULL (or pg_repack); SQLite after VACUUM.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 07:00:00
"""

import json
import struct
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The layout as of this revision (backend/sweeps/breakdown.py): frozen here so the migration never changes.
OP_CLASSES = ("projection", "attention", "ffn", "softmax", "normalization", "activation", "residual", "embedding",
              "lm_head", "convolution", "pooling", "fc", "quantization")
PHASES = ("encoder", "prefill", "decode", "forward")
QUANTITIES = ("cycles", "energy_j", "dram_bytes")
BATCH = 1000


def _breakdown(report: dict) -> bytes:
    width = len(OP_CLASSES) + len(PHASES)
    values = [0.0] * (len(QUANTITIES) * width)
    for row in report.get("ops", []):
        for q, quantity in enumerate(QUANTITIES):
            amount = float(row.get(quantity) or 0.0)
            if row.get("op_class") in OP_CLASSES:
                values[q * width + OP_CLASSES.index(row["op_class"])] += amount
            if row.get("phase") in PHASES:
                values[q * width + len(OP_CLASSES) + PHASES.index(row["phase"])] += amount
    return struct.pack(f"<{len(values)}f", *values)


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as batch_op:
        batch_op.add_column(sa.Column("simulator_fingerprint", sa.String(32), nullable=True))
    with op.batch_alter_table("sweep_chunks") as batch_op:
        batch_op.add_column(sa.Column("simulator_fingerprint", sa.String(32), nullable=True))
    with op.batch_alter_table("design_points") as batch_op:
        batch_op.add_column(sa.Column("breakdown", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, report FROM design_points WHERE id > :last AND report IS NOT NULL "
                                    "ORDER BY id LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            break
        updates = [{"id": row.id, "b": _breakdown(row.report if isinstance(row.report, dict)
                                                  else json.loads(row.report))} for row in rows]
        bind.execute(sa.text("UPDATE design_points SET breakdown = :b WHERE id = :id"), updates)
        last = rows[-1].id
    with op.batch_alter_table("design_points") as batch_op:
        batch_op.drop_column("report")
        batch_op.drop_column("params")


def downgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("design_points") as batch_op:
        batch_op.add_column(sa.Column("params", json_type, nullable=True))
        batch_op.add_column(sa.Column("report", json_type, nullable=True))
        batch_op.drop_column("breakdown")
    with op.batch_alter_table("sweep_chunks") as batch_op:
        batch_op.drop_column("simulator_fingerprint")
    with op.batch_alter_table("sweeps") as batch_op:
        batch_op.drop_column("simulator_fingerprint")
