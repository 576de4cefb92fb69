"""The password policy."""

from __future__ import annotations

import time

import pytest

from jwtgate.auth import WeakPassword
from jwtgate.auth.policy import PasswordPolicy

POLICY = PasswordPolicy(min_length=8, max_length=64)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 8"),
        ("x" * 65, "at most 64"),
        ("password", "too easy"),
        ("password123", "too easy"),
        ("qwertyuiop", "too easy"),
        ("aaaaaaaaaaaa", "too easy"),
        ("alice.smith", "username or email"),
        ("ALICE.SMITH", "username or email"),
        ("alice.smith1", "too easy"),  # built from the username
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword) as info:
        POLICY.check(password, user_inputs=("alice.smith", None))
    assert any(reason in r for r in info.value.reasons)
    assert info.value.code == "weak_password"
    # The message never echoes the password ("password" itself is a word of the message).
    assert password == "password" or password.casefold() not in str(info.value).casefold()


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "violet tractor umbrella 42", "Xq7#pL2!vR9m"]
)
def test_strong_passwords_pass(password: str) -> None:
    assert POLICY.problems(password, user_inputs=("alice",)) == []


def test_scoring_cost_is_bounded_for_long_passwords() -> None:
    policy = PasswordPolicy(max_length=1024)
    start = time.perf_counter()
    policy.check("correct horse battery staple " * 35)
    assert time.perf_counter() - start < 2.0


def test_inconsistent_limits_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        PasswordPolicy(min_length=10, max_length=5)
    with pytest.raises(ValueError):
        PasswordPolicy(min_score=5)
