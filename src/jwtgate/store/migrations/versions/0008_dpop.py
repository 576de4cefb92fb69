"""DPoP (RFC 9449, issue 17): sessions remember the key their refresh tokens are bound to (a
public client's), authorization codes the ``dpop_jkt`` of their authorization request.

Revises 0004 (OpenID Connect, after 0003): it adds a column to ``authorization_codes`` (0003).

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Two nullable columns: existing sessions and codes stay unbound."""
    # Plain ADD COLUMN (no batch copy: on SQLite that would cascade away refresh tokens).
    op.add_column("sessions", sa.Column("dpop_jkt", sa.String(64), nullable=True))
    op.add_column("authorization_codes", sa.Column("dpop_jkt", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop them again (SQLite 3.35+ drops columns in place); bound sessions become unbound."""
    op.drop_column("authorization_codes", "dpop_jkt")
    op.drop_column("sessions", "dpop_jkt")
