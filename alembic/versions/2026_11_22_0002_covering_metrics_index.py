"""A covering index for Pareto fronts and objective scans on PostgreSQL.

(sweep_id, latency_s) INCLUDE (id and every numeric metric) WHERE error IS NULL: the two-objective front's
box and k-objective scans become index-only range scans instead of visits to wide heap rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:31:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_design_points_sweep_id_metrics"
METRICS = ["latency_cycles", "throughput_per_s", "energy_j", "energy_mac_j", "energy_sram_j", "energy_dram_j",
           "energy_nonlinear_j", "energy_static_j", "edp_j_s", "area_mm2", "power_w", "utilization", "dram_bytes",
           "macs"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE; its sweeps are small
    op.create_index(NAME, "design_points", ["sweep_id", "latency_s"], postgresql_include=["id", *METRICS],
                    postgresql_where=sa.text("error IS NULL"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="design_points")
