"""The web edge shared by every module: request context, authorisation, errors, middleware."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartcity.core import jsonbody
from smartcity.core.auth import ANONYMOUS, Principal, Rule
from smartcity.core.errors import (
    PROBLEM_JSON,
    DomainError,
    InsufficientScope,
    NotAuthenticated,
    PermissionDenied,
    problem_document,
)
from smartcity.core.headers import SecurityHeaders
from smartcity.core.i18n import SHELL_DOMAIN, pick_locale
from smartcity.core.migrate import pending
from smartcity.core.platform import Platform
from smartcity.core.uow import UnitOfWork

log = logging.getLogger("smartcity.http")
access_log = logging.getLogger("smartcity.access")

SESSION_COOKIE = "sc_session"
LOCALE_COOKIE = "sc_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
BODY_PROBLEM = "body_problem"
"""Key in the request state: what the edge found wrong with a JSON body (a BadRequest)."""
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A Host header (RFC 9110 §7.2): a name or IPv4 address, or an IPv6 literal, and a port.
_HOST = re.compile(r"^(?:([A-Za-z0-9.-]+)|\[([0-9A-Fa-f:.]+)\])(?::[0-9]{1,5})?$")


def platform_of(request: Request) -> Platform:
    """The platform serving this request."""
    platform: Platform = request.app.state.platform
    return platform


def request_id_of(request: Request) -> str:
    """The id of this request (from X-Request-ID, or made up)."""
    return str(request.scope.get("state", {}).get("request_id") or "-")


@dataclass
class RequestContext:
    """What a route needs: the platform, the caller and a way to open a transaction."""

    request: Request
    platform: Platform
    principal: Principal
    request_id: str

    def write(self) -> UnitOfWork:
        """A unit of work acting as the caller; use as `with ctx.write() as uow:`."""
        return self.platform.unit_of_work(self.principal, self.request_id)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session, closed at the end of the block."""
        session = self.platform.db.read_session()
        try:
            yield session
        finally:
            session.close()


def _credentials(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        return value.strip()
    if scheme == "basic":
        # SensorThings clients (FROST) only speak Basic: the token is the password.
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise NotAuthenticated(
                "malformed Basic credentials", code="invalid_credentials"
            ) from None
        return decoded.partition(":")[2] or None
    raise NotAuthenticated("use 'Authorization: Bearer <token>'", code="unsupported_auth_scheme")


def resolve_bearer(request: Request) -> Principal:
    """The caller named by the Authorization header (anonymous without one)."""
    token = _credentials(request)
    if token is None:
        return ANONYMOUS
    platform = platform_of(request)
    if platform.authenticator is None:
        raise NotAuthenticated("no identity module is enabled", code="invalid_token")
    remembered = platform.authenticator.remembered(token)
    if remembered is not None:
        return remembered
    session = platform.db.read_session()
    try:
        principal = platform.authenticator.from_bearer(session, token)
    finally:
        session.close()
    if principal is None:
        raise NotAuthenticated("the token is unknown, expired or revoked", code="invalid_token")
    return principal


def check_rule(rule: Rule, principal: Principal) -> None:
    """Raise 401 or 403 unless `principal` passes `rule`, both its role and its scope."""
    if rule.allows(principal):
        return
    if not principal.is_authenticated:
        raise NotAuthenticated("sign in or send a bearer token")
    scope = rule.scope_for(principal.role)
    if scope is not None and rule.admits(principal.role):
        raise InsufficientScope(scope)
    raise PermissionDenied(f"this needs one of: {', '.join(sorted(rule.roles or ()))}")


def check_body(request: Request) -> None:
    """Raise what the edge found wrong with the JSON body; rule dependencies call it last."""
    found = request.scope.get("state", {}).get(BODY_PROBLEM)
    if found is not None:
        raise found


def _remembered_bearer(request: Request) -> Principal | None:
    token = _credentials(request)
    authenticator = platform_of(request).authenticator
    if token is None or authenticator is None:
        return None
    return authenticator.remembered(token)


def authorize(rule: Rule) -> Callable[[Request], Awaitable[RequestContext]]:
    """Dependency for an API route: resolve the caller and apply `rule` before anything else."""

    async def dependency(request: Request) -> RequestContext:
        # Async, so a caller whose key is remembered costs no hop to a worker thread (a sync
        # dependency runs in one); only a database look-up is sent to one.
        principal = _remembered_bearer(request)
        if principal is None:
            principal = await run_in_threadpool(resolve_bearer, request)
        check_rule(rule, principal)
        check_body(request)
        return RequestContext(
            request, platform_of(request), rule.caller(principal), request_id_of(request)
        )

    dependency.rule = rule  # type: ignore[attr-defined]  # read by the authorisation matrix
    dependency.surface = "api"  # type: ignore[attr-defined]  # credentials: bearer token
    return dependency


# -- pages -----------------------------------------------------------------


class LoginRequired(Exception):
    """A page needs a signed-in person; the handler redirects to sign-in."""


@dataclass
class PageContext(RequestContext):
    """A request context for a page: language, CSRF token and rendering."""

    locale: str = "zh_Hant"
    csrf_token: str = ""

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render a page in the person's language."""
        renderer = self.platform.services["pages"]
        html = renderer.render(
            template,
            self.locale,
            {
                "request": self.request,
                "principal": self.principal,
                "csrf_token": self.csrf_token,
                "settings": self.platform.settings,
                "modules": self.platform.modules,
                **context,
            },
        )
        return HTMLResponse(html, status_code=status_code)

    def _(self, text: str) -> str:
        """Translate `text` into the person's language, in the catalogue of the route's module."""
        translate: Callable[[str], str] = self.platform.services["pages"].translator(
            self.locale, self._domain()
        )
        return translate(text)

    def _domain(self) -> str:
        # The module whose route answers: smartcity.modules.<name>.… (the shell's otherwise).
        endpoint = self.request.scope.get("endpoint")
        parts = str(getattr(endpoint, "__module__", "")).split(".")
        if len(parts) > 2 and parts[:2] == ["smartcity", "modules"]:
            return parts[2]
        return SHELL_DOMAIN


def page_principal(request: Request) -> tuple[Principal, str]:
    """The person signed in to the portal, and their CSRF token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    platform = platform_of(request)
    if not cookie or platform.authenticator is None:
        return ANONYMOUS, ""
    session = platform.db.read_session()
    try:
        found = platform.authenticator.from_session_cookie(session, cookie)
    finally:
        session.close()
    return found if found else (ANONYMOUS, "")


def page_access(rule: Rule, *, csrf: bool = True) -> Callable[[Request], Awaitable[PageContext]]:
    """Dependency for a page: the portal session, `rule`, and CSRF on every unsafe method.

    `csrf=False` is for the sign-in forms, which carry their own double-submit token
    because nobody is signed in yet.
    """

    async def dependency(request: Request) -> PageContext:
        principal, session_csrf = page_principal(request)
        if not rule.allows(principal):
            if not principal.is_authenticated:
                raise LoginRequired()
            check_rule(rule, principal)
        check_body(request)
        if csrf and request.method not in ("GET", "HEAD", "OPTIONS"):
            form = await request.form()
            sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
            if not session_csrf or not secrets.compare_digest(sent, session_csrf):
                raise PermissionDenied(
                    "the form has expired; reload the page and try again", code="csrf_failed"
                )
        locale = pick_locale(
            request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language")
        )
        return PageContext(
            request,
            platform_of(request),
            rule.caller(principal),
            request_id_of(request),
            locale,
            session_csrf,
        )

    dependency.rule = rule  # type: ignore[attr-defined]  # read by the authorisation matrix
    dependency.surface = "page"  # type: ignore[attr-defined]  # credentials: session cookie
    return dependency


# -- errors ------------------------------------------------------------------


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/sta/", "/oauth/token", "/.well-known/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def problem_response(
    request: Request, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    """A problem+json response, or an HTML error page for a browser on a page route."""
    body.setdefault("instance", request.url.path)
    body["request_id"] = request_id_of(request)
    if _wants_html(request) and "pages" in platform_of(request).services:
        locale = pick_locale(
            request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language")
        )
        renderer = platform_of(request).services["pages"]
        principal, _csrf = page_principal(request)
        html = renderer.render(
            "error.html",
            locale,
            {
                "request": request,
                "problem": body,
                "principal": principal,
                "settings": platform_of(request).settings,
                "modules": platform_of(request).modules,
                "csrf_token": "",
            },
        )
        return HTMLResponse(html, status_code=body["status"], headers=headers)
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("not_authenticated", "Authentication required"),
    403: ("permission_denied", "Permission denied"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("too_large", "Request too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
}


def install_error_handlers(app: Any) -> None:
    """Render every error as problem+json with a stable code; never leak a traceback."""

    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="smartcity"'} if exc.status == 401 else {}
        headers.update(exc.headers)
        return problem_response(request, exc.problem(), headers or None)

    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "loc": [str(part) for part in error.get("loc", ())],
                "msg": error.get("msg", ""),
                "type": error.get("type", ""),
            }
            for error in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
        body = problem_document(422, "validation_error", "Invalid request", detail, errors=errors)
        return problem_response(request, body)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        found = request.scope.get("state", {}).get(BODY_PROBLEM)
        if found is not None and exc.status_code == 400:
            # FastAPI parses JSON bodies before any dependency runs and could not (a
            # document too deep for json.loads): the edge already knows why.
            return problem_response(request, found.problem())
        code, title = _STATUS_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        body = problem_document(exc.status_code, code, title, detail)
        return problem_response(request, body, dict(exc.headers or {}))

    async def login_required(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    async def database_unavailable(request: Request, exc: Exception) -> Response:
        if await run_in_threadpool(_needs_migration, platform_of(request)):
            # The server answers but the schema is behind (an empty database came back), as
            # /readyz reports it: retry once an operator has run `smartcity db upgrade`.
            log.error("database needs migration on %s %s", request.method, request.url.path)
            body = problem_document(
                503,
                "needs_migration",
                "Service unavailable",
                "the database is not migrated yet; nothing was recorded, please retry later",
            )
            return problem_response(request, body, {"Retry-After": "30"})
        if not isinstance(exc, OperationalError) and not (
            isinstance(exc, DBAPIError) and exc.connection_invalidated
        ):
            return await unexpected(request, exc)
        # The server went away or is busy (a restart, SQLite's lock held too long): nothing
        # of the request was committed, and a client retrying shortly will succeed.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        body = problem_document(
            503,
            "database_unavailable",
            "Service briefly unavailable",
            "the database could not be reached; nothing was recorded, please retry",
        )
        return problem_response(request, body, {"Retry-After": "1"})

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = problem_document(
            500,
            "internal_error",
            "Internal error",
            "something went wrong on our side; the request id helps us find it",
        )
        return problem_response(request, body)

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(DBAPIError, database_unavailable)
    app.add_exception_handler(Exception, unexpected)


def _needs_migration(platform: Platform) -> bool:
    try:
        return bool(pending(platform.db.engine, platform.modules))
    except SQLAlchemyError:
        return False  # unreachable: the handler's other answer


# -- middleware ----------------------------------------------------------------


METRIC_COLLECTORS = "metrics.collectors"
"""The platform service where modules leave Prometheus collectors for the app's /metrics
(figures read at scrape time, e.g. from the database, that no request of this app counts)."""


class Metrics:
    """Prometheus metrics of one app (its own registry, so tests can build many apps)."""

    def __init__(self, collectors: Iterable[Collector] = ()) -> None:
        self.registry = CollectorRegistry()
        for collector in collectors:
            self.registry.register(collector)
        self.requests = Counter(
            "smartcity_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "smartcity_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            registry=self.registry,
        )


class EdgeMiddleware:
    """Request ids, body limits, security headers, metrics and one JSON log line per request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        metrics: Metrics,
        log_requests: bool,
        security: SecurityHeaders,
        trusted_hosts: frozenset[str] | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.metrics = metrics
        self.log_requests = log_requests
        self.security = security
        # Host names answered (None: any): Starlette's TrustedHostMiddleware, in problem+json.
        self.trusted_hosts = trusted_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message["headers"] = [
                    *self.security.apply(list(message.get("headers", []))),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        rejection = self._reject(scope, headers)
        replay: Receive = receive
        if rejection is None and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            content_type = headers.get("content-type", "")
            body, rejection = await self._read_body(receive, content_type)
            replay = _replay(body, receive)
            found = jsonbody.problem(body) if _parsed_as_json(content_type) else None
            if found is not None:
                # Kept rather than refused here: the route's rule (or a webhook's signature)
                # is checked first, then the rule dependency raises it (check_body).
                scope["state"][BODY_PROBLEM] = found
        if rejection is not None:
            status, code, detail = rejection
            await self._problem(scope, receive, send_wrapper, status, code, detail, request_id)
        else:
            try:
                await self.app(scope, replay, send_wrapper)
            except Exception:
                # Reported here rather than by Starlette's outermost handler, so that
                # the 500 still carries the request id and is counted and logged.
                log.exception("unhandled error on %s %s", scope["method"], scope["path"])
                if not status_holder.get("started"):
                    await self._problem(
                        scope,
                        receive,
                        send_wrapper,
                        500,
                        "internal_error",
                        "something went wrong on our side; the request id helps us find it",
                        request_id,
                    )
        elapsed = time.perf_counter() - started
        route_name = route_template(scope)
        self.metrics.requests.labels(scope["method"], route_name, status_holder["status"]).inc()
        self.metrics.latency.labels(scope["method"], route_name).observe(elapsed)
        if self.log_requests:
            access_log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route_name,
                        "status": status_holder["status"],
                        "ms": round(elapsed * 1000, 2),
                    }
                )
            )

    def _reject(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, str] | None:
        if self.trusted_hosts is not None:
            host = _HOST.match(headers.get("host", ""))
            if host is None or (host[1] or host[2]).lower() not in self.trusted_hosts:
                return 400, "invalid_host", "this server does not answer for that host name"
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "invalid_content_length", "Content-Length must be a number"
            if int(length) > self.max_body:
                return 413, "too_large", f"the body is larger than {self.max_body} bytes"
        query = scope.get("query_string", b"")
        # PostgreSQL cannot store NUL characters; refuse them at the door.
        if b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", ""):
            return 400, "invalid_character", "NUL characters are not allowed"
        if not _utf8_unquoted(query):
            return 400, "invalid_encoding", "the query string must be UTF-8"
        return None

    async def _read_body(
        self, receive: Receive, content_type: str
    ) -> tuple[bytes, tuple[int, str, str] | None]:
        """The whole body (bounded by the limit), or why it is refused."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                return b"", (413, "too_large", f"the body is larger than {self.max_body} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        textual = content_type.startswith(
            ("application/json", "application/x-www-form-urlencoded", "text/")
        )
        # PostgreSQL text cannot hold NUL; binary uploads may.
        if textual and (b"\x00" in body or b"\\u0000" in body):
            return b"", (400, "invalid_character", "NUL characters are not allowed")
        if content_type.startswith("application/x-www-form-urlencoded") and not _utf8_unquoted(
            body
        ):
            return b"", (400, "invalid_encoding", "form fields must be UTF-8")
        return body, None

    async def _problem(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        detail: str,
        request_id: str,
    ) -> None:
        title = _STATUS_CODES.get(
            status, (code, "Internal error" if status == 500 else "Bad request")
        )[1]
        body = problem_document(
            status, code, title, detail, instance=scope.get("path", ""), request_id=request_id
        )
        await JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)(scope, receive, send)


def _utf8_unquoted(encoded: bytes) -> bool:
    """Whether URL-encoded `encoded` is UTF-8, percent-escapes included.

    Starlette decodes an escape that is not UTF-8 (`%ED%A0%80`, a lone surrogate) into U+FFFD
    without a word: the value would silently differ from what was sent.
    """
    try:
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parsed_as_json(content_type: str) -> bool:
    """FastAPI's rule for a body it parses as JSON: application/json or application/*+json."""
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def route_template(scope: Scope) -> str:
    """The matched route as a template with its router prefix (`/api/v1/identity/me`).

    Routes of included routers know only their own path, so the prefix is the part
    of the request path before the point where that route's pattern matches.
    """
    route = scope.get("route")
    pattern = getattr(route, "path_regex", None)
    if route is None or pattern is None:
        return "unmatched"
    path: str = scope.get("path", "")
    for cut in (i for i, char in enumerate(path) if char == "/"):
        if pattern.fullmatch(path[cut:]):
            return path[:cut] + str(route.path)
    return str(route.path)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that hands the app the body already read, then the real channel."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def unauthenticated(rule: Rule) -> Callable[[Request], RequestContext]:
    """Dependency for a public route that reads no credentials (token endpoint, health).

    Such a route may receive an Authorization header meant for something else
    (OAuth client authentication), so it must not be taken for a bearer token.
    """
    if rule.roles is not None:
        raise ValueError("only a public rule can skip authentication")

    def dependency(request: Request) -> RequestContext:
        check_body(request)
        return RequestContext(request, platform_of(request), ANONYMOUS, request_id_of(request))

    dependency.rule = rule  # type: ignore[attr-defined]  # read by the authorisation matrix
    dependency.surface = "open"  # type: ignore[attr-defined]  # reads no credentials
    return dependency
