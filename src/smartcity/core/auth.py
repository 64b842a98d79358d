"""Who is calling, and the rules that say who may call what.

Credentials are checked by the identity module through the `Authenticator`
protocol; the kernel only knows principals, roles and rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session


class Role(StrEnum):
    """Every kind of caller the platform knows."""

    ADMIN = "admin"
    """Runs the platform: organisations, keys, modules."""
    OFFICER = "officer"
    """Works for one department and acts only for it."""
    PROVIDER = "provider"
    """A bank, convenience store or wallet that collects and pays out."""
    DEVICE = "device"
    """A sensor or device owner's system that reports readings."""
    VENDOR = "vendor"
    """A company, start-up, community or lab that proposes pilots."""
    CITIZEN = "citizen"
    """A person using city services with their digital citizen ID."""


ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.OFFICER})


@dataclass(frozen=True)
class Principal:
    """The caller of one request or command."""

    kind: str
    """`user`, `organisation`, `system` or `anonymous`."""
    id: str | None = None
    role: Role | None = None
    name: str = ""
    department: str | None = None
    """Department code, for officers."""
    organisation: str | None = None
    """Organisation code, for providers, device owners and vendors."""
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"*"}))
    credential: str = "none"
    """How the caller proved who it is: `session`, `jwt`, `api_key` or `none`."""

    @property
    def is_authenticated(self) -> bool:
        """Whether any credential was presented and accepted."""
        return self.kind != "anonymous"

    @property
    def audit_type(self) -> str:
        """The actor type written to the audit log."""
        return self.role.value if self.role else self.kind

    def has_scope(self, scope: str | None) -> bool:
        """Whether the credential was granted `scope` (`*` grants all)."""
        return scope is None or "*" in self.scopes or scope in self.scopes


ANONYMOUS = Principal(kind="anonymous", scopes=frozenset())


def system_actor(name: str) -> Principal:
    """The principal for work the platform does by itself (CLI, seeds, schedulers)."""
    return Principal(kind="system", id=name, name=name, credential="none")


@dataclass(frozen=True)
class Rule:
    """Who may call a route: some roles, or anyone (`roles is None`)."""

    name: str
    roles: frozenset[Role] | None
    scope: str | None = None
    description: str = ""

    def allows(self, principal: Principal) -> bool:
        """Whether `principal` passes this rule (object-level checks come later, in services)."""
        if self.roles is None:
            return True
        return (
            principal.role is not None
            and principal.role in self.roles
            and principal.has_scope(self.scope)
        )


PUBLIC = Rule("public", None, description="Anyone, signed in or not.")


def roles_rule(name: str, *roles: Role, scope: str | None = None, description: str = "") -> Rule:
    """A rule for the given roles."""
    return Rule(name, frozenset(roles), scope, description)


class Authenticator(Protocol):
    """Turns presented credentials into a principal (implemented by `identity`)."""

    def from_bearer(self, session: Session, token: str) -> Principal | None:
        """The principal for an API key or access token, or None if it is not valid."""

    def from_session_cookie(self, session: Session, cookie: str) -> tuple[Principal, str] | None:
        """The principal and CSRF token of a portal session, or None."""
