"""Login hardening: login-throttle counters in the database (shared by every worker and
instance without Redis), and usernames keyed by their RFC 8265 PRECIS form.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``throttle_attempts``."""
    op.create_table(
        "throttle_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
    )
    op.create_index("ix_throttle_attempts_name_at", "throttle_attempts", ["name", "at"])


def downgrade() -> None:
    """Drop ``throttle_attempts``."""
    op.drop_index("ix_throttle_attempts_name_at", table_name="throttle_attempts")
    op.drop_table("throttle_attempts")
