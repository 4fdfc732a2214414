"""Search sweeps: a row per asked batch (trials, hypervolume), and Optuna's own tables for the studies.

Optuna's RDB storage keeps each search's study in this database (study `sweep-<id>`). Its tables are created
here from Optuna's models (so that concurrent workers never race to create them) together with its
`version_info` row; Optuna's own alembic stamp would collide with ours, so the service opens the storage with
`skip_compatibility_check` (see workers/search.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _optuna_metadata() -> sa.MetaData:
    from optuna.storages._rdb import models

    return models.BaseModel.metadata


def upgrade() -> None:
    op.create_table(
        "search_batches",
        sa.Column("id", BigId, nullable=False),
        sa.Column("sweep_id", BigId, nullable=False),
        sa.Column("batch_index", sa.Integer(), nullable=False),
        sa.Column("first_position", sa.BigInteger(), nullable=False),
        sa.Column("trials", Json, nullable=False),
        sa.Column("chunks_left", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hypervolume", sa.Float(), nullable=True),
        sa.Column("front_size", sa.Integer(), nullable=True),
        sa.Column("reference", Json, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["sweep_id"], ["sweeps.id"], name=op.f("fk_search_batches_sweep_id_sweeps"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_batches")),
        sa.UniqueConstraint("sweep_id", "batch_index", name=op.f("uq_search_batches_sweep_id")),
    )
    from optuna import version
    from optuna.storages._rdb import models

    bind = op.get_bind()
    _optuna_metadata().create_all(bind)
    if bind.execute(sa.select(sa.func.count()).select_from(models.VersionInfoModel.__table__)).scalar_one() == 0:
        bind.execute(models.VersionInfoModel.__table__.insert().values(
            version_info_id=1, schema_version=models.SCHEMA_VERSION, library_version=version.__version__))


def downgrade() -> None:
    _optuna_metadata().drop_all(op.get_bind())
    op.drop_table("search_batches")
