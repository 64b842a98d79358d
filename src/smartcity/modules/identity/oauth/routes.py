"""The authorisation server's endpoints and the portal's sign-in and sign-out."""

from __future__ import annotations

import base64
import secrets
from typing import Annotated, Any
from urllib.parse import unquote_plus, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from smartcity.core.auth import PUBLIC, Principal
from smartcity.core.errors import PermissionDenied
from smartcity.core.headers import policy
from smartcity.core.http import (
    SESSION_COOKIE,
    PageContext,
    RequestContext,
    authorize,
    page_access,
    unauthenticated,
)
from smartcity.core.platform import Platform
from smartcity.core.ratelimit import client_address, throttle
from smartcity.modules.identity import rules, service
from smartcity.modules.identity.cookies import (
    FEDERATION_COOKIE,
    FLOW_COOKIE,
    LOGIN_COOKIE,
    LOGIN_CSRF_COOKIE,
    clear_cookie,
    safe_next,
    set_cookie,
    sign,
    unsign,
)
from smartcity.modules.identity.credentials import public_jwk, verify_password
from smartcity.modules.identity.models import User
from smartcity.modules.identity.oauth import federation, server
from smartcity.modules.identity.oauth.server import (
    PORTAL_CLIENT_ID,
    SCOPES,
    AuthorizeRequest,
    OAuthError,
    RedirectableError,
)
from smartcity.modules.identity.throttle import DEVICE_COOKIE, DEVICE_SECONDS, SignInGuard

PORTAL_REDIRECT = "/auth/callback"
PORTAL_SCOPE = "openid profile bindings payments services"
AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)

Public = Annotated[PageContext, Depends(page_access(PUBLIC))]
Open = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]


def _issuer(platform: Platform) -> str:
    return platform.settings.base_url.rstrip("/")


def _login_user(ctx: PageContext, token: str | None = None) -> User | None:
    """The person signed in at the authorisation server, if any."""
    token = token or ctx.request.cookies.get(LOGIN_COOKIE)
    if not token:
        return None
    with ctx.read() as session:
        row = service.find_session(session, token, "login")
        if row is None:
            return None
        user = session.get(User, row.user_id)
        return user if user is not None and user.active else None


def _redirect_with(uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(params)}", status_code=303)


def _finish(ctx: PageContext, request: AuthorizeRequest, user: User) -> Response:
    """Issue the code and send the browser back to the client."""
    with ctx.platform.unit_of_work(service.user_actor(user), ctx.request_id) as uow:
        code = server.issue_code(uow, request, user)
    return _redirect_with(request.redirect_uri, {"code": code, "state": request.state})


def _login_page(
    ctx: PageContext,
    request: AuthorizeRequest,
    error: str = "",
    status_code: int = 200,
    login: str = "",
) -> Response:
    csrf = secrets.token_urlsafe(24)
    response = ctx.render(
        "identity/login.html",
        status_code=status_code,
        params=request.as_params(),
        login_csrf=csrf,
        error=error,
        client=request.client,
        login=login,
        federation=ctx.platform.settings.federation_name
        if ctx.platform.settings.federation_enabled
        else "",
        demo=ctx.platform.settings.environment == "demo",
    )
    set_cookie(
        response, LOGIN_CSRF_COOKIE, csrf, secure=ctx.platform.settings.secure_cookies, max_age=3600
    )
    return _posts_back_to_client(response, request)


def _consent_page(ctx: PageContext, request: AuthorizeRequest, user: User, csrf: str) -> Response:
    response = ctx.render(
        "identity/consent.html",
        params=request.as_params(),
        client=request.client,
        scopes=[(s, SCOPES[s]) for s in request.scope.split()],
        user=user,
        consent_csrf=csrf,
    )
    return _posts_back_to_client(response, request)


def _posts_back_to_client(response: Response, request: AuthorizeRequest) -> Response:
    # These forms end in a redirect to the client's registered redirect URI, which the
    # browser checks against form-action like the form's own target.
    response.headers["content-security-policy"] = policy(form_targets=[request.redirect_uri])
    return response


def _checked(ctx: PageContext, params: dict[str, str]) -> AuthorizeRequest | Response:
    """The validated request, or the redirect that reports its error to the client."""
    try:
        with ctx.read() as session:
            request = server.check_authorize_request(session, params)
            session.expunge_all()
    except RedirectableError as exc:
        return _redirect_with(
            exc.redirect_uri,
            {"error": exc.error, "error_description": exc.description, "state": exc.state},
        )
    return request


def _continue(ctx: PageContext, params: dict[str, str], login_token: str | None = None) -> Response:
    """Answer an authorisation request for whoever is signed in (or ask them to sign in)."""
    request = _checked(ctx, params)
    if isinstance(request, Response):
        return request
    user = _login_user(ctx, login_token)
    if user is None:
        return _login_page(ctx, request)
    if request.client.first_party:
        return _finish(ctx, request, user)
    csrf = secrets.token_urlsafe(24)
    response = _consent_page(ctx, request, user, csrf)
    set_cookie(
        response, LOGIN_CSRF_COOKIE, csrf, secure=ctx.platform.settings.secure_cookies, max_age=3600
    )
    return response


def _same(expected: str, sent: str) -> bool:
    """Constant-time comparison of a secret with what the browser sent (any characters)."""
    return secrets.compare_digest(expected.encode(), sent.encode())


def _check_login_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not _same(expected, sent):
        raise PermissionDenied("the sign-in form has expired; please try again", code="csrf_failed")


router = APIRouter(tags=["oauth"])


def build_router() -> APIRouter:
    """Routes of the authorisation server and the portal's sign-in (the manifest's factory)."""
    return router


@router.get("/.well-known/oauth-authorization-server", summary="Server metadata (RFC 8414)")
def oauth_metadata(ctx: Open) -> dict[str, Any]:
    return server.metadata(_issuer(ctx.platform))


@router.get("/oauth/jwks.json", summary="Public keys that verify access tokens")
def jwks(ctx: Open) -> dict[str, Any]:
    return {"keys": [public_jwk(ctx.platform.keys)]}


@router.get("/oauth/authorize", response_class=HTMLResponse, summary="Authorisation endpoint")
def authorize_get(request: Request, ctx: Public) -> Response:
    throttle(ctx, "oauth-authorize", rules.AUTHORIZE_REQUESTS)
    params = {key: request.query_params.get(key, "") for key in AUTHORIZE_FIELDS}
    return _continue(ctx, params)


@router.post(
    "/oauth/authorize",
    response_class=HTMLResponse,
    summary="Sign in and authorise",
    include_in_schema=False,
)
def authorize_post(
    request: Request,
    ctx: Annotated[PageContext, Depends(page_access(PUBLIC, csrf=False))],
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)],
    # Optional here so a missing token is a CSRF failure (403), not a validation error.
    login_csrf: Annotated[str, Form(max_length=100)] = "",
    response_type: Annotated[str, Form(max_length=20)] = "",
    client_id: Annotated[str, Form(max_length=64)] = "",
    redirect_uri: Annotated[str, Form(max_length=500)] = "",
    scope: Annotated[str, Form(max_length=500)] = "",
    state: Annotated[str, Form(max_length=500)] = "",
    code_challenge: Annotated[str, Form(max_length=128)] = "",
    code_challenge_method: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    _check_login_csrf(request, login_csrf)
    params = {
        "response_type": response_type,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": code_challenge_method,
    }
    checked = _checked(ctx, params)
    if isinstance(checked, Response):
        return checked
    guard = SignInGuard(ctx.platform)
    device = unsign(ctx.platform.keys, DEVICE_COOKIE, request.cookies.get(DEVICE_COOKIE))
    attempt = guard.attempt(
        "person",
        service.login_name(login),
        client_address(request),
        device=str(device["account"]) if device else None,
    )
    guard.check(attempt)
    with ctx.read() as session:
        user = service.find_login(session, ctx.platform.keys, login)
        session.expunge_all()
    # One scrypt whether or not the login exists (finding 5); the page says the same.
    right = verify_password(password, user.password_hash if user else None)
    if user is None or not user.active or not right:
        guard.failed(attempt, ctx.request_id)
        return _login_page(
            ctx,
            checked,
            error=ctx._("The ID or password is not right."),
            login=login,
            status_code=401,
        )
    guard.succeeded(attempt)
    settings = ctx.platform.settings
    with ctx.platform.unit_of_work(service.user_actor(user), ctx.request_id) as uow:
        token, _row = service.open_session(
            uow.session, user, kind="login", scope="", hours=settings.session_hours
        )
        uow.audit("identity.signed_in", "user", user.id, {"method": "password"})
    response = _continue(ctx, params, login_token=token)
    set_cookie(
        response,
        LOGIN_COOKIE,
        token,
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
    )
    # This browser has proved it knows the password: the per-account lock spares it.
    device_cookie = sign(
        ctx.platform.keys, DEVICE_COOKIE, {"account": attempt.account}, DEVICE_SECONDS
    )
    set_cookie(
        response,
        DEVICE_COOKIE,
        device_cookie,
        secure=settings.secure_cookies,
        max_age=DEVICE_SECONDS,
    )
    return response


@router.post("/oauth/authorize/consent", response_class=HTMLResponse, include_in_schema=False)
def consent(
    request: Request,
    ctx: Annotated[PageContext, Depends(page_access(PUBLIC, csrf=False))],
    decision: Annotated[str, Form(max_length=10)],
    consent_csrf: Annotated[str, Form(max_length=100)] = "",
    client_id: Annotated[str, Form(max_length=64)] = "",
    redirect_uri: Annotated[str, Form(max_length=500)] = "",
    scope: Annotated[str, Form(max_length=500)] = "",
    state: Annotated[str, Form(max_length=500)] = "",
    code_challenge: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    _check_login_csrf(request, consent_csrf)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    checked = _checked(ctx, params)
    if isinstance(checked, Response):
        return checked
    user = _login_user(ctx)
    if user is None:
        return _login_page(ctx, checked)
    if decision != "allow":
        return _redirect_with(
            checked.redirect_uri, {"error": "access_denied", "state": checked.state}
        )
    return _finish(ctx, checked, user)


@router.post("/oauth/token", summary="Token endpoint (authorisation code + PKCE)")
def token(
    request: Request,
    ctx: Open,
    grant_type: Annotated[str, Form(max_length=50)],
    code: Annotated[str, Form(max_length=200)] = "",
    redirect_uri: Annotated[str, Form(max_length=500)] = "",
    client_id: Annotated[str, Form(max_length=64)] = "",
    code_verifier: Annotated[str, Form(max_length=200)] = "",
    client_secret: Annotated[str, Form(max_length=200)] = "",
) -> JSONResponse:
    basic_id, basic_secret = _client_basic(request)
    settings = ctx.platform.settings
    throttle(ctx, "oauth-token", rules.TOKEN_REQUESTS)
    guard = SignInGuard(ctx.platform)
    attempt = guard.attempt("client", basic_id or client_id, client_address(request))
    guard.check(attempt)
    try:
        with ctx.platform.unit_of_work(ctx.principal, ctx.request_id) as uow:
            grant = server.exchange_code(
                uow,
                ctx.platform.keys,
                _issuer(ctx.platform),
                settings.access_token_minutes,
                grant_type=grant_type,
                code=code,
                redirect_uri=redirect_uri,
                client_id=basic_id or client_id,
                code_verifier=code_verifier,
                client_secret=basic_secret or client_secret or None,
            )
    except OAuthError as refused:
        # Counted once the refused transaction is gone (SQLite has one writer).
        if refused.extra.get("error") == "invalid_client":
            guard.failed(attempt, ctx.request_id)
        raise
    # RFC 6749 §5.1: token responses must not be cached.
    return JSONResponse(
        grant.as_response(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


@router.get("/oauth/userinfo", summary="The signed-in person (OpenID Connect style)")
def userinfo(
    ctx: Annotated[RequestContext, Depends(authorize(rules.SIGNED_IN))],
) -> dict[str, Any]:
    principal: Principal = ctx.principal
    claims: dict[str, Any] = {
        "sub": principal.id,
        "role": principal.role.value if principal.role else None,
        "department": principal.department,
    }
    # OpenID Connect Core §5.4: the name is a `profile` claim, not an `openid` one.
    if principal.has_scope("profile"):
        claims["name"] = principal.name
    return claims


# -- the portal as an OAuth client of this server ------------------------------------


@router.get("/login", response_class=HTMLResponse, summary="Sign in to the portal")
def login(ctx: Public, next: str = "/me") -> Response:
    if ctx.principal.is_authenticated:
        return RedirectResponse(safe_next(next), status_code=303)
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": PORTAL_CLIENT_ID,
        "redirect_uri": PORTAL_REDIRECT,
        "scope": PORTAL_SCOPE,
        "state": state,
        "code_challenge": server.s256(verifier),
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(f"/oauth/authorize?{urlencode(params)}", status_code=303)
    flow = sign(
        ctx.platform.keys,
        FLOW_COOKIE,
        {"state": state, "verifier": verifier, "next": safe_next(next)},
    )
    set_cookie(response, FLOW_COOKIE, flow, secure=ctx.platform.settings.secure_cookies)
    return response


@router.get("/auth/callback", response_class=HTMLResponse, include_in_schema=False)
def callback(
    request: Request, ctx: Public, code: str = "", state: str = "", error: str = ""
) -> Response:
    flow = unsign(ctx.platform.keys, FLOW_COOKIE, request.cookies.get(FLOW_COOKIE))
    if flow is None or not state or not _same(str(flow["state"]), state):
        raise PermissionDenied(
            "this sign-in has expired or was not started here; please sign in again",
            code="oauth_state_mismatch",
        )
    if error:
        raise PermissionDenied(f"sign-in was not completed ({error})", code="oauth_denied")
    settings = ctx.platform.settings
    with ctx.platform.unit_of_work(ctx.principal, ctx.request_id) as uow:
        grant = server.exchange_code(
            uow,
            ctx.platform.keys,
            _issuer(ctx.platform),
            settings.access_token_minutes,
            grant_type="authorization_code",
            code=code,
            redirect_uri=PORTAL_REDIRECT,
            client_id=PORTAL_CLIENT_ID,
            code_verifier=str(flow["verifier"]),
        )
        token, _row = service.open_session(
            uow.session,
            grant.user,
            kind="portal",
            scope=service.portal_scope(grant.user, grant.scope),
            hours=settings.session_hours,
        )
    target = str(flow["next"])
    if target == "/me" and grant.user.role in ("officer", "admin"):
        target = "/staff"
    response = RedirectResponse(target, status_code=303)
    set_cookie(
        response,
        SESSION_COOKIE,
        token,
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
    )
    clear_cookie(response, FLOW_COOKIE, secure=settings.secure_cookies)
    return response


@router.post("/logout", response_class=HTMLResponse, summary="Sign out")
def logout(
    request: Request, ctx: Annotated[PageContext, Depends(page_access(rules.SIGNED_IN))]
) -> Response:
    with ctx.write() as uow:
        for cookie, kind in ((SESSION_COOKIE, "portal"), (LOGIN_COOKIE, "login")):
            value = request.cookies.get(cookie)
            if value:
                service.end_session(uow.session, value, kind)
        uow.audit("identity.signed_out", "user", ctx.principal.id, {})
    response = RedirectResponse("/", status_code=303)
    for cookie in (SESSION_COOKIE, LOGIN_COOKIE):
        clear_cookie(response, cookie, secure=ctx.platform.settings.secure_cookies)
    return response


# -- federation: sign in through an outside identity provider ---------------------------


@router.get("/auth/federated/start", response_class=HTMLResponse, include_in_schema=False)
def federated_start(request: Request, ctx: Public) -> Response:
    settings = ctx.platform.settings
    if not settings.federation_enabled:
        raise PermissionDenied(
            "sign-in through another provider is not set up", code="federation_disabled"
        )
    params = {key: request.query_params.get(key, "") for key in AUTHORIZE_FIELDS}
    client = federation.FederationClient(settings, ctx.platform.services.get("http_transport"))
    start = client.start(f"{_issuer(ctx.platform)}/auth/federated/callback")
    response = RedirectResponse(start.url, status_code=303)
    cookie = sign(
        ctx.platform.keys,
        FEDERATION_COOKIE,
        {"state": start.state, "verifier": start.verifier, "params": params},
    )
    set_cookie(response, FEDERATION_COOKIE, cookie, secure=settings.secure_cookies)
    return response


@router.get("/auth/federated/callback", response_class=HTMLResponse, include_in_schema=False)
def federated_callback(
    request: Request, ctx: Public, code: str = "", state: str = "", error: str = ""
) -> Response:
    settings = ctx.platform.settings
    throttle(ctx, "federation-callback", rules.FEDERATION_CALLBACKS)
    saved = unsign(ctx.platform.keys, FEDERATION_COOKIE, request.cookies.get(FEDERATION_COOKIE))
    if saved is None or not state or not _same(str(saved["state"]), state):
        raise PermissionDenied(
            "this sign-in has expired or was not started here", code="oauth_state_mismatch"
        )
    if error or not code:
        raise PermissionDenied(
            f"the identity provider did not sign you in ({error})", code="federation_denied"
        )
    client = federation.FederationClient(settings, ctx.platform.services.get("http_transport"))
    person = client.fetch_person(
        code, str(saved["verifier"]), f"{_issuer(ctx.platform)}/auth/federated/callback"
    )
    with ctx.platform.unit_of_work(ctx.principal, ctx.request_id) as uow:
        user = federation.link_person(uow, ctx.platform.keys, settings.federation_name, person)
        token, _row = service.open_session(
            uow.session, user, kind="login", scope="", hours=settings.session_hours
        )
        uow.audit("identity.signed_in", "user", user.id, {"method": settings.federation_name})
    params: dict[str, str] = saved.get("params") or {}
    target = f"/oauth/authorize?{urlencode(params)}" if params.get("client_id") else "/login"
    response = RedirectResponse(target, status_code=303)
    set_cookie(
        response,
        LOGIN_COOKIE,
        token,
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
    )
    clear_cookie(response, FEDERATION_COOKIE, secure=settings.secure_cookies)
    return response


def _client_basic(request: Request) -> tuple[str, str]:
    """Client credentials sent with HTTP Basic (RFC 6749 §2.3.1), if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401) from None
    client_id, _, secret = decoded.partition(":")
    # Both halves are form-encoded before Basic encoding (RFC 6749 §2.3.1).
    return unquote_plus(client_id), unquote_plus(secret)
