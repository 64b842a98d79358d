"""Identity's answer to the kernel's `Authenticator`: tokens, keys and portal sessions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.keys import KeyRing
from smartcity.modules.identity import service
from smartcity.modules.identity.models import User


class IdentityAuthenticator:
    """Checks API keys, JWT access tokens and portal session cookies."""

    def __init__(self, keys: KeyRing, issuer: str) -> None:
        self.keys = keys
        self.issuer = issuer

    def from_bearer(self, session: Session, token: str) -> Principal | None:
        """The principal for an API key or an access token."""
        return service.principal_for_token(session, self.keys, self.issuer, token)

    def from_session_cookie(self, session: Session, cookie: str) -> tuple[Principal, str] | None:
        """The person signed in to the portal with this cookie, and their CSRF token."""
        row = service.find_session(session, cookie, "portal")
        if row is None:
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        principal = service.principal_for_user(
            session, user, scopes=frozenset(row.scope.split()), credential="session"
        )
        return principal, row.csrf_token
