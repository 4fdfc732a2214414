"""Dashboard sessions belong to the token that opened them: revoking the token ends them.

Sessions opened before this revision do not record their token; they are revoked here (their users sign in again),
so no session outlives a token that was revoked.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_id", big_id, nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_web_sessions_token_id_api_tokens"), "api_tokens", ["token_id"],
                                    ["id"], ondelete="CASCADE")
    op.execute(sa.text("UPDATE web_sessions SET revoked_at = CURRENT_TIMESTAMP "
                       "WHERE token_id IS NULL AND revoked_at IS NULL"))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_web_sessions_token_id_api_tokens"), type_="foreignkey")
        batch_op.drop_column("token_id")
