"""What every page handler needs: the auth service, settings, templates, cookies and the
signed-in user, bundled in one :class:`WebContext` built once by :func:`install`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ... import InvalidToken
from ...auth.dpop import token_jkt
from ...auth.service import AuthService
from ...config import Settings
from . import timefmt
from .cookies import (
    CSRF_FIELD,
    CSRF_HEADER,
    CookieNames,
    check_csrf,
    cookie_names,
    csrf_token,
    origin_of,
    secure_cookies,
)
from .redirects import safe_next
from .useragent import describe_device

__all__ = [
    "AUTHORIZE_NEXT",
    "FieldTooLong",
    "Forbidden",
    "SignInRequired",
    "WebContext",
    "form_text",
    "safe_next",
]

TEMPLATES = Path(__file__).parent / "templates"
_FLASH_MAX = 300


class SignInRequired(Exception):
    """The page needs a signed-in user; the handler sends the browser to refresh or sign in."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign-in required")
        self.next_path = next_path


class Forbidden(Exception):
    """The signed-in user lacks the role the page needs."""


class FieldTooLong(Exception):
    """A posted form field is longer than the pages accept; the form is refused (400), never
    cut short (a cut password would be stored or checked as another password)."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"the field {name[:40]!r} is longer than {limit} characters")
        self.name = name[:40]
        self.limit = limit


MAX_FIELD = 1024
"""The longest form field the pages accept, in characters (or the password policy's maximum,
when that is longer)."""


def form_text(form: dict[str, str], name: str, *, strip: bool = True) -> str:
    """A field of a form from :meth:`WebContext.checked_form` (stripped unless a secret)."""
    value = form.get(name, "")
    return value.strip() if strip else value


def detail_text(value: Any) -> str:
    """An audit detail value for people: lists joined, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


AUTHORIZE_NEXT = "/auth/authorize?"
"""``next`` may also name an authorization request, to resume after signing in (see
:data:`.redirects.NEXT_PATHS`)."""


@dataclass
class WebContext:
    """The collaborators of the web pages; one per app."""

    auth: AuthService
    settings: Settings
    clock: Callable[[], float] = time.time
    trusted_origins: frozenset[str] = frozenset()
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = lambda m: timefmt.readable(m, self.clock())
        self.env.filters["ago"] = lambda m: timefmt.relative(m, self.clock())
        self.env.filters["utc"] = timefmt.absolute
        self.env.filters["device"] = describe_device
        self.env.filters["detail"] = detail_text
        self.env.globals["allow_registration"] = self.settings.allow_registration
        self.env.globals["require_verified_email"] = self.settings.require_verified_email

    # -- cookies -------------------------------------------------------------------------

    def secure(self, conn: HTTPConnection) -> bool:
        """Whether this request's cookies are Secure (see :func:`secure_cookies`)."""
        return secure_cookies(conn, configured=self.settings.cookie_secure)

    def names(self, conn: HTTPConnection) -> CookieNames:
        """The cookie names for this request."""
        return cookie_names(self.secure(conn))

    def check_csrf(self, conn: HTTPConnection, submitted: str | None) -> None:
        """Raise CsrfRejected unless the request passes the Origin and double-submit checks."""
        check_csrf(conn, submitted, secure=self.secure(conn), trusted_origins=self.trusted_origins)

    async def checked_form(self, request: Request) -> dict[str, str]:
        """The posted form fields (text only), after the CSRF check. Raises CsrfRejected, or
        FieldTooLong for a field past the limit (refused whole, never cut)."""
        form = await request.form()
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        self.check_csrf(request, fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))
        limit = max(MAX_FIELD, self.settings.password_max_length)
        for name, value in fields.items():
            # The inspector's token field has its own bound (the largest token accepted) and
            # says so on the inspector's page; the body limit bounds it in any case.
            if len(value) > limit and name != "token":
                raise FieldTooLong(name, limit)
        return fields

    async def action(
        self, request: Request, role: str | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """A signed-in user's form post: the fields (CSRF checked first) and the claims.

        Raises CsrfRejected, SignInRequired or Forbidden.
        """
        form = await self.checked_form(request)
        return form, self.require(request, role)

    # -- who is signed in ----------------------------------------------------------------

    def claims(self, conn: HTTPConnection) -> dict[str, Any] | None:
        """The verified claims of the access cookie, or None (absent, expired, revoked...)."""
        token = conn.cookies.get(self.names(conn).access)
        if not token or len(token) > self.settings.max_token_size:
            return None
        try:
            claims = self.auth.authenticate(token)
        except InvalidToken:
            return None
        # The server's cookies never hold a DPoP-bound token: one there was put by a thief.
        return None if token_jkt(claims) is not None else claims

    def require(self, request: Request, role: str | None = None) -> dict[str, Any]:
        """The signed-in user's claims. Raises SignInRequired or Forbidden (missing role)."""
        claims = self.claims(request)
        if claims is None:
            if request.method in ("GET", "HEAD"):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            else:
                referer = request.headers.get("referer", "")
                same = origin_of(referer) == f"{request.url.scheme}://{request.url.netloc}"
                target = urlsplit(referer).path if same else "/web/account"
            raise SignInRequired(safe_next(target))
        if role is not None and role not in (claims.get("roles") or ()):
            raise Forbidden(role)
        return claims

    # -- rendering -----------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        status_code: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        """Render a page with the CSRF token, the signed-in user and any flash message."""
        response = HTMLResponse("", status_code=status_code)
        secure = self.secure(request)
        values.setdefault("user", None)
        if values["user"] is None:
            values["user"] = self.claims(request)
        values.setdefault("access_expires", (values["user"] or {}).get("exp"))
        values["csrf_token"] = csrf_token(request, response, secure=secure)
        values["flash"] = self._take_flash(request, response)
        values["request_path"] = request.url.path
        values["now"] = self.clock()
        values["insecure_transport"] = secure and request.url.scheme != "https"
        body = self.env.get_template(template).render(**values)
        response.body = body.encode()
        response.headers["content-length"] = str(len(response.body))
        return response

    def error_page(
        self, request: Request, status_code: int, title: str, message: str
    ) -> HTMLResponse:
        """A short page that explains why the request was not carried out."""
        return self.render(request, "error.html", status_code, title=title, message=message)

    def redirect(self, path: str, *, flash: str | None = None, conn: HTTPConnection) -> Response:
        """303 See Other to ``path`` (POST-redirect-GET), with an optional one-time message."""
        response = RedirectResponse(path, status_code=303)
        if flash:
            response.set_cookie(
                self.names(conn).flash,
                base64.urlsafe_b64encode(flash[:_FLASH_MAX].encode()).decode(),
                max_age=60,
                path="/",
                secure=self.secure(conn),
                httponly=True,
                samesite="strict",
            )
        return response

    def _take_flash(self, request: Request, response: Response) -> str | None:
        name = self.names(request).flash
        raw = request.cookies.get(name)
        if not raw:
            return None
        response.delete_cookie(
            name, path="/", secure=self.secure(request), httponly=True, samesite="strict"
        )
        try:
            return base64.urlsafe_b64decode(raw.encode()).decode()[:_FLASH_MAX]
        except ValueError:
            return None
