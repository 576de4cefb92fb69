"""OAuth clients for every app, authorization codes and consents (issue 13).

Clients gain the fields of the Clients contract; the clients that exist become confidential
clients with their current scopes, the ``client_credentials`` grant and
``client_secret_basic``, as before. Sessions remember their audiences, when the user
authenticated, and the browser sign-in session (SSO) they belong to.

Revision ID: 0003
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_CLIENT_COLUMNS: tuple[tuple[str, Any, str], ...] = (
    ("type", sa.String(16), "'confidential'"),
    ("redirect_uris", sa.JSON(), "'[]'"),
    ("post_logout_redirect_uris", sa.JSON(), "'[]'"),
    ("grant_types", sa.JSON(), """'["client_credentials"]'"""),
    ("audiences", sa.JSON(), "'[]'"),
    ("first_party", sa.Boolean(), "false"),
    ("token_endpoint_auth_method", sa.String(32), "'client_secret_basic'"),
    ("dpop_bound_access_tokens", sa.Boolean(), "false"),
    ("disabled", sa.Boolean(), "false"),
    ("updated_at", sa.Double(), "0"),
)


def upgrade() -> None:
    """Add the client, session, code and consent columns and tables."""
    # Plain ADD COLUMN, never a batch copy of the table: on SQLite a batch recreates the
    # table, and dropping the old sessions table would cascade to every refresh token.
    for name, type_, default in _CLIENT_COLUMNS:
        op.add_column(
            "clients", sa.Column(name, type_, nullable=False, server_default=sa.text(default))
        )
    op.add_column("clients", sa.Column("backchannel_logout_uri", sa.String(2048), nullable=True))
    op.add_column(
        "clients", sa.Column("id_token_signed_response_alg", sa.String(16), nullable=True)
    )
    op.execute("UPDATE clients SET updated_at = created_at")

    op.add_column(
        "sessions",
        sa.Column("audiences", sa.String(2048), nullable=False, server_default=sa.text("''")),
    )
    op.add_column("sessions", sa.Column("auth_time", sa.Double(), nullable=True))
    op.add_column("sessions", sa.Column("sso_hash", sa.String(64), nullable=True))
    op.add_column("sessions", sa.Column("sso_sid", sa.String(64), nullable=True))
    op.create_index("ix_sessions_client_id", "sessions", ["client_id"])
    op.create_index("ix_sessions_sso_sid", "sessions", ["sso_sid"])
    op.create_index("ix_sessions_sso_hash", "sessions", ["sso_hash"], unique=True)

    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "client_id",
            sa.String(64),
            sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("redirect_uri", sa.String(2048), nullable=True),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(1024), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.String(512), nullable=True),
        sa.Column("auth_time", sa.Double(), nullable=False),
        sa.Column("sso_sid", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("used_at", sa.Double(), nullable=True),
        sa.Column("sid", sa.String(64), nullable=True),
    )
    op.create_index("ix_authorization_codes_expires_at", "authorization_codes", ["expires_at"])
    op.create_table(
        "consents",
        sa.Column(
            "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "client_id",
            sa.String(64),
            sa.ForeignKey("clients.client_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scope", sa.String(1024), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "client_id"),
    )


def downgrade() -> None:
    """Drop what upgrade added (SQLite 3.35+ drops columns in place)."""
    op.drop_table("consents")
    op.drop_table("authorization_codes")
    for index in ("ix_sessions_sso_hash", "ix_sessions_sso_sid", "ix_sessions_client_id"):
        op.drop_index(index, "sessions")
    for name in ("sso_sid", "sso_hash", "auth_time", "audiences"):
        op.drop_column("sessions", name)
    for name in ("id_token_signed_response_alg", "backchannel_logout_uri"):
        op.drop_column("clients", name)
    for name, _, _ in reversed(_CLIENT_COLUMNS):
        op.drop_column("clients", name)
