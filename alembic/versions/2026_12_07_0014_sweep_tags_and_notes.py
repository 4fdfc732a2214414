"""Sweep tags and notes: a sweep can be renamed, tagged and annotated (PATCH /api/sweeps/{id}, `dse sweep tag`).

Tags are kept in one text column as ",tag1,tag2," (lower case, no commas), so `GET /api/sweeps?tag=T` is one LIKE on
either database; existing sweeps have none and an empty note.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as batch_op:
        batch_op.add_column(sa.Column("tags", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch_op:
        batch_op.drop_column("notes")
        batch_op.drop_column("tags")
