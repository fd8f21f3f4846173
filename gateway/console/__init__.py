"""The admin console: web pages for system administrators and the data protection officer,
served by the gateway under ``/admin`` (docs/console.md).

Server-rendered (Jinja2 templates in ``templates/``, a style sheet and a small script in
``static/``, served from the package: no CDN). Every word is in ``catalog.py`` in Bokmål and
English. The pages read only through the GraphQL schema, as the signed-in administrator
(``graphql.py``). Sign-in: OpenID Connect (``oidc.py``) or, while development login is on, a
one-click list of the system administrators; then a server-side session (``web.py``,
``store.console_sessions``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from config.language import LANGUAGES
from gateway.auth import Principal
from gateway.authentication import viewer_of
from gateway.console import pages
from gateway.console.oidc import ConsoleOidc, Pending, SignInError
from gateway.console.web import (
    FOLDER,
    LANGUAGE_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    Visit,
    cookie,
    csrf_ok,
    lifetimes,
    page,
    redirect,
    visit_of,
)
from gateway.state import AppState
from store import console_sessions as sessions

LOGIN_COOKIE = "tavle_console_login"
STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}


def console_routes(state: AppState) -> list[BaseRoute]:
    """``/admin`` and everything under it."""
    oidc = ConsoleOidc.from_settings(state.settings, state.authenticator)
    development = state.settings.dev_auth_enabled

    async def start(request: Request) -> Response:
        visit, found = await visit_of(request)
        if found is not None:
            return redirect(f"{PREFIX}/people")
        administrators: list[tuple[str, str]] = []
        if development:
            async with state.engine.connect() as conn:
                administrators = await sessions.development_administrators(conn)
        notice = (
            "login.expired"
            if request.query_params.get("expired")
            else "login.signed_out"
            if request.query_params.get("signed_out")
            else None
        )
        return visit.render(
            "login.html",
            oidc=oidc,
            administrators=administrators,
            notice=notice,
            failure=None,
        )

    async def sign_in(visit: Visit, principal: Principal, method: str) -> Response:
        viewer, _refusal = await viewer_of(state, principal)
        if viewer is None:
            return _failed(visit, "no single active person here has that sign-in")
        async with state.engine.begin() as conn:
            await sessions.delete_expired(conn, lifetimes(state))
            session_id = await sessions.create(
                conn,
                viewer.person_id,
                method,
                visit.request.cookies.get(LANGUAGE_COOKIE),
                lifetimes(state),
            )
        # A page rather than a redirect: after the provider's cross-site redirect, a
        # SameSite=Strict cookie is sent only on a navigation this site starts itself.
        response = visit.render("signed_in.html", target=f"{PREFIX}/people")
        cookie(response, visit.request, SESSION_COOKIE, session_id)
        response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/callback")
        return response

    def _failed(visit: Visit, reason: str) -> Response:
        return visit.render(
            "login.html",
            status_code=403,
            oidc=oidc,
            administrators=[],
            notice=None,
            failure=reason,
        )

    async def dev_login(request: Request) -> Response:
        visit, _found = await visit_of(request)
        form = await request.form()
        if not development:
            raise HTTPException(404)
        if not csrf_ok(visit, form.get("csrf")):
            return visit.refuse("refused.csrf")
        username = form.get("username")
        if not isinstance(username, str) or not username:
            return _failed(visit, "no administrator was chosen")
        principal = state.authenticator.authenticate(
            f"Bearer {state.authenticator.mint_development_token(username, 60)}"
        )
        assert principal is not None
        return await sign_in(visit, principal, "development")

    async def login(request: Request) -> Response:
        visit, _found = await visit_of(request)
        if oidc is None:
            raise HTTPException(404)
        try:
            location, pending = await oidc.begin()
        except SignInError as error:
            return _failed(visit, error.reason)
        response = redirect(location)
        cookie(
            response,
            request,
            LOGIN_COOKIE,
            pending.encode(),
            samesite="lax",
            path=f"{PREFIX}/callback",
            max_age=600,
        )
        return response

    async def callback(request: Request) -> Response:
        visit, _found = await visit_of(request)
        if oidc is None:
            raise HTTPException(404)
        params = request.query_params
        try:
            principal = await oidc.finish(
                Pending.decode(request.cookies.get(LOGIN_COOKIE)),
                params.get("state"),
                params.get("code"),
                params.get("error"),
            )
        except SignInError as error:
            failed = _failed(visit, error.reason)
            # the pending sign-in is used up either way: its state and verifier never again
            failed.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/callback")
            return failed
        response = await sign_in(visit, principal, "oidc")
        response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/callback")
        return response

    async def sign_out(visit: Visit) -> Response:
        async with state.engine.begin() as conn:
            await sessions.end(conn, visit.session_id or "")
        response = redirect(f"{PREFIX}/?signed_out=1")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    async def language(request: Request) -> Response:
        visit, found = await visit_of(request)
        form = await request.form()
        if not csrf_ok(visit, form.get("csrf")):
            return visit.refuse("refused.csrf")
        chosen = form.get("language")
        if chosen not in LANGUAGES:
            return visit.render(
                "error.html",
                status_code=400,
                code="BAD_USER_INPUT",
                message="language must be nb or en",
            )
        assert isinstance(chosen, str)
        if found is not None and visit.session_id:
            async with state.engine.begin() as conn:
                await sessions.set_language(conn, visit.session_id, chosen)
        back = form.get("back")
        target = back if isinstance(back, str) and back.startswith(f"{PREFIX}/") else f"{PREFIX}/"
        response = redirect(target)
        cookie(response, request, LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600)
        return response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise HTTPException(404)
        return FileResponse(
            FOLDER / "static" / name,
            media_type=STATIC[name],
            headers={"Cache-Control": "no-cache"},
        )

    async def root(request: Request) -> Response:
        return redirect(f"{PREFIX}/")

    return [
        Route(PREFIX, root, methods=["GET"]),
        Mount(
            PREFIX,
            routes=[
                Route("/", start, methods=["GET"]),
                Route("/dev-login", dev_login, methods=["POST"]),
                Route("/login", login, methods=["GET"]),
                Route("/callback", callback, methods=["GET"]),
                Route("/logout", page(sign_out), methods=["POST"]),
                Route("/language", language, methods=["POST"]),
                Route("/static/{name}", static, methods=["GET"]),
                *pages.ROUTES,
            ],
        ),
    ]


__all__ = ["console_routes"]
