"""Who is calling, and the rules that say who may call what.

Credentials are checked by the identity module through the `Authenticator`
protocol; the kernel only knows principals, roles and rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
        """Whether the credential was granted `scope` (`*` grants all; None needs none)."""
        return scope is None or "*" in self.scopes or scope in self.scopes


ANONYMOUS = Principal(kind="anonymous", scopes=frozenset())


def system_actor(name: str) -> Principal:
    """The principal for work the platform does by itself (CLI, seeds, schedulers)."""
    return Principal(kind="system", id=name, name=name, credential="none")


KERNEL_SCOPES: Mapping[str, frozenset[Role]] = {
    "openid": ALL_ROLES,
    "audit": STAFF,
    "jobs": frozenset({Role.ADMIN}),
}
"""Scopes of the kernel's own routes: `openid` (who the caller is), `audit` (the staff's
view of the audit log) and `jobs` (the job worker's queue, administrators only). Every other
scope is named by a module's rules."""


@dataclass(frozen=True)
class Rule:
    """Who may call a route: some roles, each with the scope its credential must hold.

    A credential (API key, access token, portal session) carries scopes (RFC 6749 §3.3);
    a caller passes only if its role is one of `roles` *and* its credential holds the
    scope this rule names for that role. `roles is None` makes the route public; `scopes`
    then name, per role, the scope under which a caller is recognised there: without it
    the route sees them as anonymous.
    """

    name: str
    roles: frozenset[Role] | None
    scopes: Mapping[Role, str] = field(default_factory=dict, compare=False)
    description: str = ""

    def __post_init__(self) -> None:
        if self.roles is not None and (missing := self.roles - self.scopes.keys()):
            raise ValueError(f"rule {self.name} names no scope for {sorted(missing)}")
        if self.roles is not None and (extra := self.scopes.keys() - self.roles):
            raise ValueError(f"rule {self.name} names scopes for roles it refuses: {extra}")

    def scope_for(self, role: Role | None) -> str | None:
        """The scope a caller of `role` needs here (None: the role is not named)."""
        return self.scopes.get(role) if role is not None else None

    def admits(self, role: Role | None) -> bool:
        """Whether callers of `role` may call this route, given the right scope."""
        return self.roles is None or (role is not None and role in self.roles)

    def allows(self, principal: Principal) -> bool:
        """Whether `principal` passes this rule (object-level checks come later, in services)."""
        if self.roles is None:
            return True
        return self.admits(principal.role) and principal.has_scope(self.scope_for(principal.role))

    def caller(self, principal: Principal) -> Principal:
        """The caller as the route sees them: on a public route that names scopes, a
        credential without the scope for its role is not used at all."""
        if self.roles is not None or not self.scopes:
            return principal
        scope = self.scope_for(principal.role)
        return principal if scope is not None and principal.has_scope(scope) else ANONYMOUS


PUBLIC = Rule("public", None, description="Anyone, signed in or not.")


def roles_rule(name: str, *roles: Role, scope: str, description: str = "") -> Rule:
    """A rule for `roles`, each needing `scope` (a `Rule` may name one per role)."""
    return Rule(name, frozenset(roles), dict.fromkeys(roles, scope), description)


def scopes_by_role(rules: Iterable[Rule]) -> dict[Role, frozenset[str]]:
    """Every scope that means something for each role: the kernel's and those `rules` name."""
    found: dict[Role, set[str]] = {role: set() for role in Role}
    for scope, roles in KERNEL_SCOPES.items():
        for role in roles:
            found[role].add(scope)
    for rule in rules:
        for role, scope in rule.scopes.items():
            found[role].add(scope)
    return {role: frozenset(scopes) for role, scopes in found.items()}


class Authenticator(Protocol):
    """Turns presented credentials into a principal (implemented by `identity`)."""

    def from_bearer(self, session: Session, token: str) -> Principal | None:
        """The principal for an API key or access token, or None if it is not valid."""

    def remembered(self, token: str) -> Principal | None:
        """The principal for a token verified moments ago, found without I/O; None: look it up."""

    def from_session_cookie(self, session: Session, cookie: str) -> tuple[Principal, str] | None:
        """The principal and CSRF token of a portal session, or None."""
