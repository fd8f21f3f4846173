"""The console's frame: sessions and their cookie, CSRF, language, rendering, refusals.

Every page handler is wrapped by :func:`page` (GET and POST): it finds the session from the
``tavle_console`` cookie (``store.console_sessions``: idle timeout and absolute lifetime), the
administrator's viewer as the gateway finds a token's person (their ``sourcedId``, ACTIVE and
enabled, ``ResolvedViewerCache``), refuses anyone who is not a system administrator (403 page),
and refuses every POST whose ``csrf`` field is not the session's token (403 page, compared in
constant time). Before sign-in, forms carry a token bound to a ``tavle_console_pre`` cookie.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from authz.viewer import Viewer
from config.language import LANGUAGES, choose
from config.settings import Settings
from gateway.console import graphql
from gateway.console.catalog import translator, value_text
from gateway.console.dates import when
from gateway.state import AppState
from store import console_sessions as sessions

SESSION_COOKIE = "tavle_console"
PRE_COOKIE = "tavle_console_pre"
LANGUAGE_COOKIE = "tavle_console_lang"
PREFIX = "/admin"
FOLDER = Path(__file__).resolve().parent
#: the console's pages' content security policy: its own files only, forms to itself only
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_templates = Environment(
    loader=FileSystemLoader(FOLDER / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["when"] = when


def lifetimes(state: AppState) -> sessions.Lifetimes:
    settings = state.settings
    return sessions.Lifetimes(
        idle=timedelta(minutes=settings.console_idle_minutes),
        absolute=timedelta(hours=settings.console_session_hours),
    )


def secure(request: Request) -> bool:
    """Cookies are ``Secure`` over TLS, and whenever the console's sign-in comes back to an
    https address (TLS ended by a proxy the settings do not name still counts)."""
    if request.url.scheme == "https":
        return True
    settings: Settings = request.app.state.tavle.settings
    redirect_uri = settings.console_oidc_redirect_uri or ""
    return redirect_uri.startswith("https://")


def cookie(response: Response, request: Request, name: str, value: str, **extra: Any) -> None:
    """A console cookie: HttpOnly, SameSite=Strict unless said, Secure over TLS, /admin only."""
    options: dict[str, Any] = {"httponly": True, "samesite": "strict", "path": PREFIX}
    options.update(extra)
    response.set_cookie(name, value, secure=secure(request), **options)


@dataclass
class Visit:
    """One request to the console: who (None before sign-in), in which language, and the
    token its forms carry."""

    request: Request
    state: AppState
    language: str
    csrf: str
    viewer: Viewer | None = None
    session_id: str | None = None
    display_name: str = ""
    #: a token for the pre-sign-in cookie, when one must be set on the response
    new_pre_token: str | None = None

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> graphql.Answer:
        """``document`` through the schema as the signed-in administrator (``page()`` lets only
        them through to the handlers that ask)."""
        assert self.viewer is not None, "a console query before sign-in"
        return await graphql.run(self.state, self.request, self.viewer, document, variables)

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        from gateway.console.pages import NAVIGATION  # the pages import this module

        html = _templates.get_template(template).render(
            t=translator(self.language),
            v=lambda prefix, value: value_text(self.language, prefix, value),
            language=self.language,
            languages=LANGUAGES,
            csrf=self.csrf,
            visit=self,
            navigation=NAVIGATION if self.viewer is not None else (),
            path=self.request.url.path,
            **values,
        )
        response = HTMLResponse(
            html,
            status_code=status_code,
            headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"},
        )
        if self.new_pre_token is not None:
            cookie(response, self.request, PRE_COOKIE, self.new_pre_token)
        return response

    @property
    def page_address(self) -> str:
        """The address of the page the visitor sees, for a link back to it (the language
        switch): a GET's own, query included; after a form's POST (a refused form is shown
        again at the address it was posted to, which answers only POST) the nearest address at
        or above it that shows a page."""
        url = self.request.url
        if self.request.method in ("GET", "HEAD"):
            return url.path + (f"?{url.query}" if url.query else "")
        return page_above(url.path)

    def refuse(self, message_key: str, status_code: int = 403) -> HTMLResponse:
        return self.render("refused.html", status_code=status_code, message_key=message_key)


def page_above(path: str) -> str:
    """The nearest console address at or above ``path`` that answers GET (``/admin/`` at the
    last): ``/admin/requests/7/confirm`` leads to ``/admin/requests/7``, ``/admin/queues/
    incidents`` to ``/admin/queues``."""
    from gateway.console.pages import ROUTES  # the pages import this module

    candidate = path.rstrip("/")
    while candidate.startswith(f"{PREFIX}/"):
        inner = candidate[len(PREFIX) :]
        for route in ROUTES:
            if (
                isinstance(route, Route)
                and "GET" in (route.methods or ())
                and route.path_regex.fullmatch(inner)
            ):
                return candidate
        candidate = candidate.rsplit("/", 1)[0]
    return f"{PREFIX}/"


def _language(request: Request, chosen: str | None) -> str:
    cookie_language = request.cookies.get(LANGUAGE_COOKIE)
    preference = chosen if chosen in LANGUAGES else cookie_language
    return choose(preference, request.headers.get("accept-language"))


async def visit_of(request: Request) -> tuple[Visit, sessions.ConsoleSession | None]:
    """The visit, with its live session if any (the session's use noted)."""
    state: AppState = request.app.state.tavle
    session_id = request.cookies.get(SESSION_COOKIE)
    found = None
    if session_id:
        async with state.engine.begin() as conn:
            found = await sessions.find(conn, session_id, lifetimes(state))
    if found is None:
        pre = request.cookies.get(PRE_COOKIE)
        new = None if pre else secrets.token_urlsafe(sessions.TOKEN_BYTES)
        visit = Visit(request, state, _language(request, None), pre or new or "")
        visit.new_pre_token = new
        return visit, None
    visit = Visit(request, state, _language(request, found.language), found.csrf_token)
    visit.session_id = session_id
    return visit, found


def csrf_ok(visit: Visit, form_token: object) -> bool:
    """The form's token is the session's (or, before sign-in, the pre-sign-in cookie's)."""
    if not isinstance(form_token, str) or not form_token or not visit.csrf:
        return False
    return hmac.compare_digest(form_token.encode(), visit.csrf.encode())


Handler = Callable[[Visit], Awaitable[Response]]


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A console page for signed-in system administrators (module docstring)."""

    async def endpoint(request: Request) -> Response:
        visit, found = await visit_of(request)
        if request.method == "POST":
            form = await request.form()
            if not csrf_ok(visit, form.get("csrf")):
                return visit.refuse("refused.csrf")
        if found is None:
            expired = bool(request.cookies.get(SESSION_COOKIE))
            target = f"{PREFIX}/" + ("?expired=1" if expired else "")
            response = RedirectResponse(target, status_code=303)
            if expired:
                response.delete_cookie(SESSION_COOKIE, path=PREFIX)
            return response
        state = visit.state
        viewer, _match = await state.viewers.viewer_by(
            state.engine, [("sourced_id", found.sourced_id)]
        )
        if viewer is None:  # no longer an ACTIVE, enabled person: the session ends
            async with state.engine.begin() as conn:
                await sessions.end(conn, visit.session_id or "")
            response = RedirectResponse(f"{PREFIX}/?expired=1", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path=PREFIX)
            return response
        visit.viewer = viewer
        if not viewer.is_sysadmin:
            return visit.refuse("refused.not_admin")
        return await handler(visit)

    return endpoint


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)
