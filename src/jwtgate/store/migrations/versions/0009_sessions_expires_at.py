"""An index on ``sessions.expires_at``: pruning finds expired sessions without a table scan.

Without it each pruning batch (``DELETE ... WHERE sid IN (SELECT sid ... WHERE expires_at <
:before LIMIT n)``) read the whole table, holding SQLite's write lock for as long: at a
million sessions, long enough to stall every refresh behind it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the index."""
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_sessions_expires_at", table_name="sessions")
