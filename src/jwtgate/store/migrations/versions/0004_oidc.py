"""OpenID Connect: the purpose of each signing key, and the back-channel logout queue.

Existing keys sign access tokens (``purpose`` "access"); the ID-token key ring creates its
RS256 key on the next start.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``signing_keys.purpose`` and ``logout_deliveries``."""
    # Plain ADD COLUMN (no batch copy of the table on SQLite).
    op.add_column(
        "signing_keys",
        sa.Column("purpose", sa.String(16), nullable=False, server_default=sa.text("'access'")),
    )
    op.create_table(
        "logout_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("jti", sa.String(64), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("uri", sa.String(2048), nullable=False),
        sa.Column("sub", sa.String(36), nullable=False),
        sa.Column("sid", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Double(), nullable=False),
        sa.Column("done_at", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("last_error", sa.String(256), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_logout_deliveries_due", "logout_deliveries", ["done_at", "next_attempt_at"])


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("ix_logout_deliveries_due", table_name="logout_deliveries")
    op.drop_table("logout_deliveries")
    with op.batch_alter_table("signing_keys") as batch:
        batch.drop_column("purpose")
