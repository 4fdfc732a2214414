"""Library entries keep a summary (the definition's scalar fields and its calibration) that the paged lists read,
so a list never loads full definitions.

Existing entries get theirs from their definition (the rule of backend/library/service.py `summary_of` as of this
revision, frozen here).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 14:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMMARY_TEXT_CHARS = 200


def _summary(definition: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: value[:SUMMARY_TEXT_CHARS] if isinstance(value, str) else value
                           for key, value in definition.items()
                           if value is None or isinstance(value, bool | int | float | str)}
    if isinstance(definition.get("calibration"), dict):
        out["calibration"] = definition["calibration"]
    return out


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("library_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", json_type, nullable=True))
    entries = sa.table("library_entries", sa.column("id", sa.BigInteger()), sa.column("definition", json_type),
                       sa.column("summary", json_type))
    connection = op.get_bind()
    for row in connection.execute(sa.select(entries.c.id, entries.c.definition)).all():
        connection.execute(entries.update().where(entries.c.id == row.id)
                           .values(summary=_summary(row.definition or {})))
    with op.batch_alter_table("library_entries", schema=None) as batch_op:
        batch_op.alter_column("summary", existing_type=json_type, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("library_entries", schema=None) as batch_op:
        batch_op.drop_column("summary")
