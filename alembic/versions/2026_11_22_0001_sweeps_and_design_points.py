"""Sweeps, their chunks and design points (every parameter and metric a column).

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:07:43.196429
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column(
            "spec", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_points", sa.BigInteger(), nullable=False),
        sa.Column("done_points", sa.BigInteger(), nullable=False),
        sa.Column("failed_points", sa.BigInteger(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("chunks_failed", sa.Integer(), nullable=False),
        sa.Column("compute_s", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweeps")),
    )
    with op.batch_alter_table("sweeps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sweeps_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sweeps_status"), ["status"], unique=False)

    op.create_table(
        "design_points",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sweep_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("point_index", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("batch", sa.BigInteger(), nullable=True),
        sa.Column("seq_len", sa.BigInteger(), nullable=True),
        sa.Column("prompt_len", sa.BigInteger(), nullable=True),
        sa.Column("generate_len", sa.BigInteger(), nullable=True),
        sa.Column("image_size", sa.BigInteger(), nullable=True),
        sa.Column("include_embeddings", sa.Boolean(), nullable=True),
        sa.Column("include_lm_head", sa.Boolean(), nullable=True),
        sa.Column("accelerator", sa.String(length=64), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("cols", sa.BigInteger(), nullable=True),
        sa.Column("dataflow", sa.String(length=64), nullable=True),
        sa.Column("input_bits", sa.BigInteger(), nullable=True),
        sa.Column("weight_bits", sa.BigInteger(), nullable=True),
        sa.Column("accumulator_bits", sa.BigInteger(), nullable=True),
        sa.Column("scratchpad_kib", sa.Float(), nullable=True),
        sa.Column("accumulator_kib", sa.Float(), nullable=True),
        sa.Column("dram_bytes_per_cycle", sa.Float(), nullable=True),
        sa.Column("dram_latency_cycles", sa.BigInteger(), nullable=True),
        sa.Column("clock_ghz", sa.Float(), nullable=True),
        sa.Column("technology_nm", sa.BigInteger(), nullable=True),
        sa.Column("softmax_on", sa.String(length=64), nullable=True),
        sa.Column("normalization_on", sa.String(length=64), nullable=True),
        sa.Column("activation_on", sa.String(length=64), nullable=True),
        sa.Column("residual_on", sa.String(length=64), nullable=True),
        sa.Column("quantization_on", sa.String(length=64), nullable=True),
        sa.Column("nonlinear_elements_per_cycle", sa.Float(), nullable=True),
        sa.Column("host_cycles_per_element_softmax", sa.Float(), nullable=True),
        sa.Column("host_cycles_per_element_normalization", sa.Float(), nullable=True),
        sa.Column("host_cycles_per_element_activation", sa.Float(), nullable=True),
        sa.Column("host_cycles_per_element_residual", sa.Float(), nullable=True),
        sa.Column("host_cycles_per_element_quantization", sa.Float(), nullable=True),
        sa.Column("mapping_objective", sa.String(length=64), nullable=True),
        sa.Column("fuse_nonlinear", sa.Boolean(), nullable=True),
        sa.Column("keep_scores_on_chip", sa.Boolean(), nullable=True),
        sa.Column("latency_cycles", sa.Float(), nullable=True),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("throughput_per_s", sa.Float(), nullable=True),
        sa.Column("energy_j", sa.Float(), nullable=True),
        sa.Column("energy_mac_j", sa.Float(), nullable=True),
        sa.Column("energy_sram_j", sa.Float(), nullable=True),
        sa.Column("energy_dram_j", sa.Float(), nullable=True),
        sa.Column("energy_nonlinear_j", sa.Float(), nullable=True),
        sa.Column("energy_static_j", sa.Float(), nullable=True),
        sa.Column("edp_j_s", sa.Float(), nullable=True),
        sa.Column("area_mm2", sa.Float(), nullable=True),
        sa.Column("power_w", sa.Float(), nullable=True),
        sa.Column("utilization", sa.Float(), nullable=True),
        sa.Column("dram_bytes", sa.Float(), nullable=True),
        sa.Column("macs", sa.Float(), nullable=True),
        sa.Column("bottleneck", sa.String(length=64), nullable=True),
        sa.Column(
            "params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "report", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.id"], name=op.f("fk_design_points_sweep_id_sweeps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_design_points")),
        sa.UniqueConstraint("sweep_id", "point_index", name="uq_design_points_sweep_id_point_index"),
    )
    with op.batch_alter_table("design_points", schema=None) as batch_op:
        batch_op.create_index("ix_design_points_sweep_id_area_mm2", ["sweep_id", "area_mm2"], unique=False)
        batch_op.create_index("ix_design_points_sweep_id_edp_j_s", ["sweep_id", "edp_j_s"], unique=False)
        batch_op.create_index("ix_design_points_sweep_id_energy_j", ["sweep_id", "energy_j"], unique=False)
        batch_op.create_index("ix_design_points_sweep_id_latency_s", ["sweep_id", "latency_s"], unique=False)
        batch_op.create_index(
            "ix_design_points_sweep_id_throughput_per_s", ["sweep_id", "throughput_per_s"], unique=False
        )

    op.create_table(
        "sweep_chunks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sweep_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("start_index", sa.BigInteger(), nullable=False),
        sa.Column("stop_index", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("points_ok", sa.Integer(), nullable=False),
        sa.Column("points_failed", sa.Integer(), nullable=False),
        sa.Column("elapsed_s", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.id"], name=op.f("fk_sweep_chunks_sweep_id_sweeps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweep_chunks")),
        sa.UniqueConstraint("sweep_id", "chunk_index", name=op.f("uq_sweep_chunks_sweep_id")),
    )


def downgrade() -> None:
    op.drop_table("sweep_chunks")
    with op.batch_alter_table("design_points", schema=None) as batch_op:
        batch_op.drop_index("ix_design_points_sweep_id_throughput_per_s")
        batch_op.drop_index("ix_design_points_sweep_id_latency_s")
        batch_op.drop_index("ix_design_points_sweep_id_energy_j")
        batch_op.drop_index("ix_design_points_sweep_id_edp_j_s")
        batch_op.drop_index("ix_design_points_sweep_id_area_mm2")

    op.drop_table("design_points")
    with op.batch_alter_table("sweeps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sweeps_status"))
        batch_op.drop_index(batch_op.f("ix_sweeps_created_at"))

    op.drop_table("sweeps")
