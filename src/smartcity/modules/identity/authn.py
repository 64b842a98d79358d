"""Identity's answer to the kernel's `Authenticator`: tokens, keys and portal sessions."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.modules.identity import service
from smartcity.modules.identity.credentials import sha256_hex, split_api_key
from smartcity.modules.identity.models import User

KEYS_REMEMBERED = 10_000
"""At most this many verified API keys a process keeps (the least recently used go first)."""


class IdentityAuthenticator:
    """Checks API keys, JWT access tokens and portal session cookies."""

    def __init__(self, keys: KeyRing, issuer: str, *, remember_keys_for: float = 0.0) -> None:
        self.keys = keys
        self.issuer = issuer
        self.verified_keys = VerifiedKeys(remember_keys_for)

    def from_bearer(self, session: Session, token: str) -> Principal | None:
        """The principal for an API key or an access token."""
        principal = service.principal_for_token(session, self.keys, self.issuer, token)
        # Only organisations' keys (machines calling often); a person's principal carries what
        # officers change (verification, department), read afresh each time.
        if (
            principal is not None
            and principal.credential == "api_key"
            and principal.kind == "organisation"
        ):
            self.verified_keys.remember(token, principal)
        return principal

    def remembered(self, token: str) -> Principal | None:
        """The principal of an API key verified moments ago, without touching the database."""
        return self.verified_keys.recall(token)

    def forget_api_key(self, prefix: str) -> None:
        """Stop answering for the key with this prefix from memory (it was just revoked)."""
        self.verified_keys.forget(prefix)

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


class VerifiedKeys:
    """Organisations' API keys this process verified in the database in the last `seconds` (ADR 20).

    Kept by the key's prefix with the digest of its secret, never the secret itself: a token is
    recalled only if its secret has that digest, so a key is as hard to guess here as in the
    database. Unknown and refused tokens are never kept. A revocation through this process
    forgets the key at once; another process stops accepting it within `seconds`.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._keys: OrderedDict[str, tuple[str, Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, token: str, principal: Principal) -> None:
        parts = split_api_key(token)
        if parts is None or self.seconds <= 0:
            return
        prefix, secret = parts
        with self._lock:
            self._keys[prefix] = (sha256_hex(secret), principal, time.monotonic() + self.seconds)
            self._keys.move_to_end(prefix)
            while len(self._keys) > KEYS_REMEMBERED:
                self._keys.popitem(last=False)

    def recall(self, token: str) -> Principal | None:
        parts = split_api_key(token)
        if parts is None:
            return None
        prefix, secret = parts
        with self._lock:
            found = self._keys.get(prefix)
            if found is None:
                return None
            digest, principal, until = found
            if time.monotonic() >= until:
                del self._keys[prefix]
                return None
            self._keys.move_to_end(prefix)
        return principal if secrets.compare_digest(digest, sha256_hex(secret)) else None

    def forget(self, prefix: str) -> None:
        with self._lock:
            self._keys.pop(prefix, None)


def forget_revoked_key(platform: Platform, prefix: str) -> None:
    """Once a revocation has committed: this process stops answering for the key at once."""
    if isinstance(platform.authenticator, IdentityAuthenticator):
        platform.authenticator.forget_api_key(prefix)
