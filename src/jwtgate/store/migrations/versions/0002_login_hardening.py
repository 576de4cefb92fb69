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


def _rekey_users() -> None:
    """Recompute every ``username_key`` as the PRECIS form (it was ``str.casefold()``).

    Names registered so far were ASCII, whose two forms agree, so this changes nothing on a
    database this project made; a key that differs is rewritten unless the new one is taken
    (then the user keeps the old key and an admin must rename one of the two).
    """
    from jwtgate.store.usernames import username_key

    bind = op.get_bind()
    users = sa.table(
        "users", sa.column("id", sa.String), sa.column("username", sa.String),
        sa.column("username_key", sa.String),
    )  # fmt: skip
    rows = bind.execute(sa.select(users.c.id, users.c.username, users.c.username_key)).all()
    taken = {row.username_key for row in rows}
    for row in rows:
        key = username_key(row.username)
        if key is None or key == row.username_key or key in taken:
            continue
        bind.execute(sa.update(users).where(users.c.id == row.id).values(username_key=key))
        taken.discard(row.username_key)
        taken.add(key)


def upgrade() -> None:
    """Create ``throttle_attempts``; re-key usernames with PRECIS."""
    _rekey_users()
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
