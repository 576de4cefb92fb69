"""OAuth 2.0 in jwtgate, free of HTTP: clients and their registration rules, scopes, resource
indicators (audiences), the grants of the token endpoint, authorization codes with PKCE,
consent, revocation and introspection. The :class:`jwtgate.auth.AuthService` facade calls
into these modules; a reader looking for an OAuth rule finds it here.

=====================  ===============================================================
module                 what it holds
=====================  ===============================================================
``clients``            clients: create, change, disable, delete, rotate secret, authenticate
``metadata``           what an admin sets on a client, its defaults and validation
``registration``       redirect URI, audience, grant type and auth method rules
``scopes``             RFC 6749 3.3 scope strings
``resources``          RFC 8707 resource indicators and the ``aud`` claim
``authorize``          the authorization endpoint's rules and decisions (RFC 6749 4.1.1)
``pkce``               RFC 7636, S256 only
``codes``              authorization codes: issue, redeem once, replay revocation
``grants``             password and refresh grants and their client rules
``introspection``      RFC 7009 revocation and RFC 7662 introspection
=====================  ===============================================================
"""

from __future__ import annotations

from .metadata import ClientMetadata

__all__ = ["ClientMetadata"]
