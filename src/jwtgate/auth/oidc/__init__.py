"""OpenID Connect on top of the OAuth flow: ID tokens, userinfo, SSO sessions, logout.

One concept per module: ``id_tokens`` (minting and ``id_token_hint`` checks, OIDC Core 2,
3.1.3.6), ``userinfo`` (claims by scope, OIDC Core 5.3-5.4), ``logout_tokens`` and
``backchannel`` (Back-Channel Logout 1.0: the tokens, the persisted queue and its sender
behind the :class:`~jwtgate.auth.oidc.backchannel.LogoutSender` Protocol).
"""

from __future__ import annotations

from .backchannel import BackchannelLogout, LogoutSender
from .id_tokens import IdTokens, left_half_hash
from .logout_tokens import LOGOUT_EVENT, LOGOUT_TOKEN_TYPE, logout_token_claims
from .userinfo import CLAIMS_BY_SCOPE, OIDC_SCOPES, claims_for_scope, supported_claims

__all__ = [
    "CLAIMS_BY_SCOPE",
    "LOGOUT_EVENT",
    "LOGOUT_TOKEN_TYPE",
    "OIDC_SCOPES",
    "BackchannelLogout",
    "IdTokens",
    "LogoutSender",
    "claims_for_scope",
    "left_half_hash",
    "logout_token_claims",
    "supported_claims",
]
