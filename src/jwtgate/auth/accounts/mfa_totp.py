"""TOTP (RFC 6238) as authenticator apps use it: SHA-1, 6 digits, 30-second steps.

A code is accepted for the current step and one step either side (clocks of phones drift;
RFC 6238 5.2 recommends at most one step of delay), compared in constant time, and each step
once per factor: the store moves ``last_step`` forward with a conditional UPDATE, so a code
seen over a shoulder, or replayed from a log, is refused within its own 30 seconds.
"""

from __future__ import annotations

import hmac
import math

import pyotp
import segno

__all__ = [
    "DIGITS",
    "STEP",
    "WINDOW",
    "matching_step",
    "new_secret",
    "normalize_totp",
    "otpauth_uri",
    "qr_svg",
]

STEP = 30
DIGITS = 6
WINDOW = 1
"""Steps accepted either side of the current one."""


def new_secret() -> str:
    """A fresh secret: 160 random bits (RFC 4226 4 recommends them), base32."""
    return pyotp.random_base32(32)


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element, drawn here (no external service)."""
    qr = segno.make(uri, error="m")
    svg: str = qr.svg_inline(scale=4, dark="#000", light="#fff", title="TOTP QR code")
    return svg


def normalize_totp(code: object) -> str | None:
    """Six digits (spaces ignored), or None when ``code`` cannot be a TOTP code."""
    if not isinstance(code, str) or len(code) > 16:
        return None
    digits = code.replace(" ", "")
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (within the window) whose code ``code`` is, or None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    current = math.floor(now / STEP)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Every candidate is compared, so the time taken says nothing about which matched.
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found
