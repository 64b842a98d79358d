"""A small but real OAuth 2.0 identity provider for federation tests.

It plays TaipeiPASS: a FastAPI app served by uvicorn on a free 127.0.0.1 port in a
background thread. It speaks the authorisation code grant with PKCE (RFC 6749 §4.1,
RFC 7636 S256 only):

* ``GET /authorize`` signs in the configured test user without asking (auto-approve),
  records the code challenge and redirects back with ``code`` and ``state``;
* ``POST /token`` authenticates the client (HTTP Basic per RFC 6749 §2.3.1, or
  ``client_secret`` in the form), checks the code, its redirect URI and the PKCE
  verifier against the recorded challenge, and returns a bearer access token;
* ``GET /userinfo`` answers a bearer token with the user's claims.

Tests steer it through attributes (``user``, ``refuse_codes``) and read what it
saw (``authorize_requests``, ``token_requests``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import unquote_plus, urlencode, urlsplit

import uvicorn
from fastapi import FastAPI, Form, Header
from fastapi.responses import JSONResponse, RedirectResponse

CODE_SECONDS = 60


@dataclass
class IdpUser:
    """The person the provider signs in, as its userinfo describes them."""

    sub: str
    name: str
    national_id: str | None = None
    email: str | None = None
    identity_verified: bool = True

    def claims(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "sub": self.sub,
            "name": self.name,
            "national_id": self.national_id,
            "email": self.email,
            "identity_verified": self.identity_verified,
        }
        # A claim the provider does not share is absent, not null.
        return {key: value for key, value in found.items() if value is not None}


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    user: IdpUser
    expires: float
    used: bool = False


@dataclass
class LocalIdP:
    """The provider's configuration and memory; `serve()` runs it."""

    client_id: str
    client_secret: str
    redirect_uri: str
    user: IdpUser
    refuse_codes: bool = False
    """When set, the token endpoint answers every code with 400 invalid_grant."""
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    _codes: dict[str, _Code] = field(default_factory=dict)
    _tokens: dict[str, IdpUser] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    # -- URLs the platform is configured with ------------------------------------------------

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def userinfo_url(self) -> str:
        return f"{self.base_url}/userinfo"

    # -- the protocol ------------------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.get("/authorize")
        def authorize(
            response_type: str = "",
            client_id: str = "",
            redirect_uri: str = "",
            scope: str = "",
            state: str = "",
            code_challenge: str = "",
            code_challenge_method: str = "",
        ) -> Any:
            self.authorize_requests.append(
                {
                    "response_type": response_type,
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "scope": scope,
                    "state": state,
                    "code_challenge": code_challenge,
                    "code_challenge_method": code_challenge_method,
                }
            )
            if client_id != self.client_id or redirect_uri != self.redirect_uri:
                # Never redirect to an unverified URI (RFC 6749 §4.1.2.1).
                return _error(400, "invalid_request", "unknown client or redirect_uri")
            if response_type != "code":
                return _back(redirect_uri, {"error": "unsupported_response_type", "state": state})
            if code_challenge_method != "S256" or not 43 <= len(code_challenge) <= 128:
                return _back(
                    redirect_uri,
                    {
                        "error": "invalid_request",
                        "error_description": "PKCE S256 required",
                        "state": state,
                    },
                )
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Code(
                    client_id,
                    redirect_uri,
                    code_challenge,
                    self.user,
                    time.monotonic() + CODE_SECONDS,
                )
            return _back(redirect_uri, {"code": code, "state": state})

        @app.post("/token")
        def token(
            grant_type: Annotated[str, Form()] = "",
            code: Annotated[str, Form()] = "",
            redirect_uri: Annotated[str, Form()] = "",
            code_verifier: Annotated[str, Form()] = "",
            client_id: Annotated[str | None, Form()] = None,
            client_secret: Annotated[str | None, Form()] = None,
            authorization: Annotated[str | None, Header()] = None,
        ) -> Any:
            basic = _basic_credentials(authorization)
            self.token_requests.append(
                {
                    "grant_type": grant_type,
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier,
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "basic": basic,
                }
            )
            sent_id, sent_secret = basic if basic else (client_id, client_secret)
            if sent_id != self.client_id or not secrets.compare_digest(
                (sent_secret or "").encode(), self.client_secret.encode()
            ):
                return _error(
                    401,
                    "invalid_client",
                    "client authentication failed",
                    {"WWW-Authenticate": 'Basic realm="local-idp"'},
                )
            if grant_type != "authorization_code":
                return _error(400, "unsupported_grant_type", "only authorization_code")
            with self._lock:
                found = self._codes.get(code)
                if self.refuse_codes or found is None or found.used:
                    return _error(400, "invalid_grant", "unknown or used code")
                found.used = True
            if found.expires < time.monotonic() or found.client_id != sent_id:
                return _error(400, "invalid_grant", "expired code or other client")
            if found.redirect_uri != redirect_uri:
                return _error(400, "invalid_grant", "redirect_uri differs")
            if _s256(code_verifier) != found.challenge:
                return _error(400, "invalid_grant", "PKCE verification failed")
            access_token = secrets.token_urlsafe(32)
            with self._lock:
                self._tokens[access_token] = found.user
            return JSONResponse(
                {"access_token": access_token, "token_type": "Bearer", "expires_in": 300},
                headers={"Cache-Control": "no-store"},
            )

        @app.get("/userinfo")
        def userinfo(authorization: Annotated[str | None, Header()] = None) -> Any:
            scheme, _, value = (authorization or "").partition(" ")
            with self._lock:
                user = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                return _error(
                    401,
                    "invalid_token",
                    "unknown access token",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            return user.claims()

        return app

    # -- serving ------------------------------------------------------------------------------

    def serve(self) -> None:
        """Start uvicorn on a free loopback port in a background thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, args=(sock,), daemon=True, name=f"local-idp-{port}"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local identity provider did not start")
            time.sleep(0.01)

    def _run(self, sock: socket.socket) -> None:
        assert self._server is not None
        asyncio.run(self._server.serve(sockets=[sock]))

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            assert not self._thread.is_alive(), "the local identity provider did not stop"


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """HTTP Basic client credentials, form-decoded as RFC 6749 §2.3.1 requires."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except ValueError:
        return ("", "")
    user, _, password = decoded.partition(":")
    return unquote_plus(user), unquote_plus(password)


def _back(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


def _error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )
