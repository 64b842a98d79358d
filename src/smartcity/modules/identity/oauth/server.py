"""Authorisation code grant with PKCE (RFC 6749 §4.1, RFC 7636), issuing JWT access tokens.

Only S256 code challenges are accepted (RFC 9700 §2.1.1 recommends it), every
client must use PKCE, codes are single-use and live 60 seconds.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from smartcity.core.auth import Role
from smartcity.core.errors import DomainError
from smartcity.core.keys import KeyRing
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.credentials import issue_access_token, sha256_hex
from smartcity.modules.identity.models import AuthorizationCode, OAuthClient, User
from smartcity.modules.identity.service import department_code_of

CODE_LIFETIME = timedelta(seconds=60)
SCOPES = {
    "openid": "Know who you are",
    "profile": "Read your name and verification level",
    "bindings": "Read and manage the identifiers bound to your ID",
    "payments": "See and pay your bills, and see your payouts and parking autopay",
    "services": "Use city services in your name",
}
"""What a citizen can consent to, as the consent screen says it (docs/identity.md)."""
STAFF_GRANTABLE = frozenset({"openid", "profile"})
"""The only consent scopes that mean the same for staff: the others would hand an
application an officer's powers under words written for a citizen's own records."""
PORTAL_CLIENT_ID = "portal"


class OAuthError(DomainError):
    """An OAuth error: problem+json that also carries RFC 6749 §5.2 `error` fields."""

    status = 400
    code = "oauth_error"
    title = "OAuth request refused"

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(
            description, code=f"oauth_{error}", error=error, error_description=description
        )
        self.status = status  # type: ignore[misc]  # invalid_client is a 401


@dataclass(frozen=True)
class AuthorizeRequest:
    """A checked request to the authorisation endpoint."""

    client: OAuthClient
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str

    def as_params(self) -> dict[str, str]:
        """The request again as query parameters (for the sign-in form to carry)."""
        return {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }


class RedirectableError(Exception):
    """An error to send back to the client's redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, redirect_uri: str, error: str, description: str, state: str) -> None:
        super().__init__(description)
        self.redirect_uri = redirect_uri
        self.error = error
        self.description = description
        self.state = state


def check_authorize_request(session: Session, params: dict[str, str]) -> AuthorizeRequest:
    """Validate the authorisation request; unknown client or redirect URI never redirect."""
    client = session.get(OAuthClient, params.get("client_id", ""))
    if client is None:
        raise OAuthError("invalid_client", "unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        # §4.1.2.1: a bad redirect URI must not be redirected to.
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
    state = params.get("state", "")
    if params.get("response_type") != "code":
        raise RedirectableError(
            redirect_uri, "unsupported_response_type", "only response_type=code is supported", state
        )
    challenge = params.get("code_challenge", "")
    if params.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
        raise RedirectableError(
            redirect_uri,
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required",
            state,
        )
    requested = params.get("scope", "openid").split()
    unknown = [s for s in requested if s not in SCOPES or s not in client.scopes]
    if unknown or not requested:
        raise RedirectableError(
            redirect_uri,
            "invalid_scope",
            f"scope not allowed: {' '.join(unknown) or '(empty)'}",
            state,
        )
    return AuthorizeRequest(client, redirect_uri, " ".join(requested), state, challenge)


def issue_code(uow: UnitOfWork, request: AuthorizeRequest, user: User) -> str:
    """A one-time code for `user`, bound to the client, redirect URI and PKCE challenge."""
    code = secrets.token_urlsafe(32)
    uow.session.add(
        AuthorizationCode(
            code_hash=sha256_hex(code),
            client_id=request.client.client_id,
            user_id=user.id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            code_challenge=request.code_challenge,
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    uow.audit(
        "identity.oauth.authorized",
        "oauth_client",
        request.client.client_id,
        {"user": str(user.id), "scope": request.scope},
    )
    return code


def s256(verifier: str) -> str:
    """The RFC 7636 §4.2 S256 code challenge of a verifier."""
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint hands out."""

    access_token: str
    expires_in: int
    scope: str
    user: User

    def as_response(self) -> dict[str, Any]:
        """The RFC 6749 §5.1 token response."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


def exchange_code(
    uow: UnitOfWork,
    keys: KeyRing,
    issuer: str,
    minutes: int,
    *,
    grant_type: str,
    code: str,
    redirect_uri: str,
    client_id: str,
    code_verifier: str,
    client_secret: str | None = None,
) -> TokenGrant:
    """Redeem a code for an access token (RFC 6749 §4.1.3, RFC 7636 §4.6)."""
    if grant_type != "authorization_code":
        raise OAuthError("unsupported_grant_type", "only authorization_code is supported")
    client = uow.session.get(OAuthClient, client_id)
    if client is None:
        raise OAuthError("invalid_client", "unknown client", status=401)
    if client.secret_hash is not None and not (
        client_secret and secrets.compare_digest(client.secret_hash, sha256_hex(client_secret))
    ):
        raise OAuthError("invalid_client", "client authentication failed", status=401)
    # Locked until commit, so two concurrent redemptions cannot both see it unused.
    row = (
        uow.session.get(AuthorizationCode, sha256_hex(code), with_for_update=True) if code else None
    )
    if row is None or row.client_id != client_id:
        raise OAuthError("invalid_grant", "the code is unknown")
    if row.used_at is not None:
        raise OAuthError("invalid_grant", "the code was already used")
    if row.expires_at <= utcnow():
        raise OAuthError("invalid_grant", "the code has expired")
    if row.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorisation request")
    if not 43 <= len(code_verifier) <= 128 or not secrets.compare_digest(
        s256(code_verifier), row.code_challenge
    ):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    row.used_at = utcnow()
    user = uow.session.get(User, row.user_id)
    if user is None or not user.active:
        raise OAuthError("invalid_grant", "the account is no longer active")
    scope = granted_scope(user, row.scope)
    token = issue_access_token(
        keys,
        issuer,
        subject=user.id,
        role=user.role,
        scope=scope,
        client_id=client_id,
        minutes=minutes,
        department=department_code_of(uow.session, user),
    )
    uow.audit(
        "identity.oauth.token_issued",
        "oauth_client",
        client_id,
        {"user": str(user.id), "scope": scope},
    )
    return TokenGrant(token, minutes * 60, scope, user)


def granted_scope(user: User, requested: str) -> str:
    """The scopes a token for `user` carries: all that were consented for a citizen, only
    `openid` and `profile` for staff (RFC 6749 §3.3 lets the server grant less)."""
    if user.role == Role.CITIZEN:
        return requested
    return " ".join(scope for scope in requested.split() if scope in STAFF_GRANTABLE)


def register_client(
    uow: UnitOfWork,
    *,
    client_id: str,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    first_party: bool = False,
    confidential: bool = False,
) -> tuple[OAuthClient, str | None]:
    """Register an application; a confidential client's secret is returned once."""
    secret = secrets.token_urlsafe(32) if confidential else None
    client = OAuthClient(
        client_id=client_id,
        name=name,
        redirect_uris=redirect_uris,
        scopes=scopes,
        first_party=first_party,
        secret_hash=sha256_hex(secret) if secret else None,
    )
    uow.session.add(client)
    uow.audit(
        "identity.oauth.client_registered",
        "oauth_client",
        client_id,
        {"name": name, "redirect_uris": redirect_uris, "scopes": scopes},
    )
    return client, secret


def metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 authorisation server metadata."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/oauth/jwks.json",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_post",
            "client_secret_basic",
        ],
        "scopes_supported": sorted(SCOPES),
    }
