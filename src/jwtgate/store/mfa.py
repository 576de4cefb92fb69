"""Second factors, recovery codes and sign-in challenges in SQL.

Everything single-use is consumed by one conditional UPDATE checked by its row count, so
however many requests race, one wins: a TOTP step (``last_step < :step``), a recovery code
(``used_at IS NULL``), a challenge (``used_at IS NULL AND expires_at > :now``), a passkey's
signature counter (``sign_count`` unchanged since it was read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, delete, insert, or_, select, update

from .batch import delete_expired
from .models import MfaChallengeRow, MfaFactorRow, RecoveryCodeRow
from .records import MfaChallenge, MfaFactor
from .rows import record_from_row, record_values

__all__ = ["SqlMfaRepository"]

FACTORS = cast(Table, MfaFactorRow.__table__)
CODES = cast(Table, RecoveryCodeRow.__table__)
CHALLENGES = cast(Table, MfaChallengeRow.__table__)


def _factor(row: Row[Any]) -> MfaFactor:
    return record_from_row(MfaFactor, FACTORS, row)


class SqlMfaRepository:
    """MfaRepository on one SQLAlchemy connection (inside its transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- factors ----------------------------------------------------------------------------

    def add_factor(self, factor: MfaFactor) -> None:
        """Insert a factor (DuplicateError is not expected: ids and credential ids are random)."""
        self._conn.execute(insert(FACTORS).values(record_values(factor, FACTORS)))

    def factors(self, user_id: str) -> list[MfaFactor]:
        """The user's factors, oldest first, unconfirmed ones included."""
        stmt = (
            select(FACTORS)
            .where(FACTORS.c.user_id == user_id)
            .order_by(FACTORS.c.created_at, FACTORS.c.id)
        )
        return [_factor(r) for r in self._conn.execute(stmt)]

    def factor(self, factor_id: str) -> MfaFactor | None:
        """One factor by id, or None."""
        row = self._conn.execute(select(FACTORS).where(FACTORS.c.id == factor_id)).first()
        return None if row is None else _factor(row)

    def by_credential(self, credential_id: str) -> MfaFactor | None:
        """The passkey with this credential id (base64url), or None."""
        row = self._conn.execute(
            select(FACTORS).where(FACTORS.c.credential_id == credential_id)
        ).first()
        return None if row is None else _factor(row)

    def confirm(self, factor_id: str, *, now: float, step: int) -> bool:
        """Mark an unconfirmed TOTP factor confirmed with its first accepted step."""
        result = self._conn.execute(
            update(FACTORS)
            .where(FACTORS.c.id == factor_id, FACTORS.c.confirmed_at.is_(None))
            .values(confirmed_at=now, last_step=step, last_used_at=now)
        )
        return result.rowcount == 1

    def use_step(self, factor_id: str, step: int, *, now: float) -> bool:
        """Accept TOTP time step ``step`` once: False when it (or a later one) was used."""
        result = self._conn.execute(
            update(FACTORS)
            .where(FACTORS.c.id == factor_id, FACTORS.c.last_step < step)
            .values(last_step=step, last_used_at=now)
        )
        return result.rowcount == 1

    def use_counter(self, factor_id: str, *, seen: int, new: int, now: float) -> bool:
        """Record a passkey's new signature counter, if nobody changed it since ``seen``."""
        result = self._conn.execute(
            update(FACTORS)
            .where(FACTORS.c.id == factor_id, FACTORS.c.sign_count == seen)
            .values(sign_count=new, last_used_at=now)
        )
        return result.rowcount == 1

    def delete_factors(self, user_id: str, kinds: Sequence[str] | None = None) -> int:
        """Delete the user's factors (of these kinds); returns how many."""
        stmt = delete(FACTORS).where(FACTORS.c.user_id == user_id)
        if kinds is not None:
            stmt = stmt.where(FACTORS.c.kind.in_(list(kinds)))
        return self._conn.execute(stmt).rowcount

    def delete_factor(self, user_id: str, factor_id: str) -> bool:
        """Delete one of the user's factors; False when the user has no such factor."""
        result = self._conn.execute(
            delete(FACTORS).where(FACTORS.c.user_id == user_id, FACTORS.c.id == factor_id)
        )
        return result.rowcount == 1

    # -- recovery codes ---------------------------------------------------------------------

    def replace_codes(self, user_id: str, hashes: Sequence[str], *, now: float) -> None:
        """Replace every recovery code of the user by these."""
        self._conn.execute(delete(CODES).where(CODES.c.user_id == user_id))
        if hashes:
            self._conn.execute(
                insert(CODES),
                [{"user_id": user_id, "code_hash": h, "created_at": now} for h in hashes],
            )

    def use_code(self, user_id: str, code_hash: str, *, now: float) -> bool:
        """Use a recovery code of the user: True for exactly one caller."""
        result = self._conn.execute(
            update(CODES)
            .where(
                CODES.c.user_id == user_id,
                CODES.c.code_hash == code_hash,
                CODES.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    def codes_left(self, user_id: str) -> int:
        """How many unused recovery codes the user has."""
        rows = self._conn.execute(
            select(CODES.c.id).where(CODES.c.user_id == user_id, CODES.c.used_at.is_(None))
        ).all()
        return len(rows)

    def delete_codes(self, user_id: str) -> int:
        """Delete every recovery code of the user."""
        return self._conn.execute(delete(CODES).where(CODES.c.user_id == user_id)).rowcount

    # -- challenges -------------------------------------------------------------------------

    def add_challenge(self, challenge: MfaChallenge) -> None:
        """Store a challenge by the hash of its handle."""
        self._conn.execute(insert(CHALLENGES).values(record_values(challenge, CHALLENGES)))

    def challenge(self, token_hash: str) -> MfaChallenge | None:
        """A challenge by hash, used or not, or None."""
        row = self._conn.execute(
            select(CHALLENGES).where(CHALLENGES.c.token_hash == token_hash)
        ).first()
        return None if row is None else record_from_row(MfaChallenge, CHALLENGES, row)

    def use_challenge(self, token_hash: str, *, now: float) -> bool:
        """Use a challenge: True for exactly one caller, before it expires."""
        result = self._conn.execute(
            update(CHALLENGES)
            .where(
                CHALLENGES.c.token_hash == token_hash,
                CHALLENGES.c.used_at.is_(None),
                CHALLENGES.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    def delete_challenges(self, user_id: str) -> int:
        """Delete every challenge of the user (factors were reset)."""
        stmt = delete(CHALLENGES).where(CHALLENGES.c.user_id == user_id)
        return self._conn.execute(stmt).rowcount

    def prune(self, *, before: float, limit: int | None = None) -> int:
        """Delete challenges that expired or were used before ``before``."""
        condition = or_(CHALLENGES.c.expires_at < before, CHALLENGES.c.used_at < before)
        return delete_expired(self._conn, CHALLENGES, CHALLENGES.c.token_hash, condition, limit)
