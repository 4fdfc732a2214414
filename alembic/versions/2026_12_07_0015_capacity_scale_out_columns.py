"""Result columns for device memory, the interconnect, tensor/pipeline/expert parallelism, chunked prefill and MoE
routing (issue 29), and the capacity and scale-out metrics.

Existing rows prefilled at once (prefill_chunk = 0) on one device (tensor_parallel = pipeline_parallel = devices = 1)
with expected MoE routing (no MoE model existed); their memory and link fields and capacity metrics are not recorded
(empty; re-run a sweep to get them). Their `include_embeddings` / `include_lm_head` columns hold the explicit values
they ran with.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("prefill_chunk", sa.Integer()), ("moe_routing", sa.String(64)), ("tensor_parallel", sa.Integer()),
    ("pipeline_parallel", sa.Integer()), ("expert_parallel", sa.Boolean()),
    ("devices", sa.Integer()), ("memory_gib", sa.Float()), ("link_gb_s", sa.Float()),
    ("link_latency_us", sa.Float()), ("topology", sa.String(64)), ("memory_used_gib", sa.Float()),
    ("memory_weights_gib", sa.Float()), ("memory_kv_cache_gib", sa.Float()), ("memory_activations_gib", sa.Float()),
    ("max_batch", sa.Integer()), ("system_area_mm2", sa.Float()), ("energy_per_device_j", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.execute("UPDATE design_points SET prefill_chunk = 0, tensor_parallel = 1, pipeline_parallel = 1, devices = 1, "
               "expert_parallel = false, "
               "moe_routing = 'expected' WHERE error IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("design_points") as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
