"""Outbound HTTP from the server: the adapter behind :class:`jwtgate.auth.oidc.LogoutSender`.

Back-channel logout (OpenID Connect Back-Channel Logout 1.0, 2.5): a form POST of
``logout_token``, no redirects followed (a receiver that redirects is misconfigured, and
following would send the token elsewhere), bounded time, no cookies, a small bounded response.
"""

from __future__ import annotations

import httpx

__all__ = ["HttpLogoutSender"]


class HttpLogoutSender:
    """Sends logout tokens with one pooled httpx client."""

    def __init__(self, *, user_agent: str = "jwtgate") -> None:
        self._client = httpx.Client(
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Cache-Control": "no-store"},
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=4),
            trust_env=False,  # never route through an environment proxy to an internal RP
        )

    def send(self, uri: str, logout_token: str, *, timeout: float) -> int:
        """POST ``logout_token=...``; the status code. Raises ConnectionError or TimeoutError
        when no answer came (the token is never in the message)."""
        try:
            with self._client.stream(
                "POST", uri, data={"logout_token": logout_token}, timeout=timeout
            ) as response:
                return response.status_code  # the body is not read: nothing in it matters
        except httpx.TimeoutException:
            raise TimeoutError(f"no answer within {timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ConnectionError(type(exc).__name__) from None

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()
