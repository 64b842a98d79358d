"""The scope vocabulary: which scopes a credential of each role may be granted.

Scopes are named by the rules beside each route (every module's `rules.py`) and by the
kernel (`openid`, `audit`); docs/identity.md lists them with what each one opens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from smartcity.core.auth import Role, scopes_by_role
from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform

FULL_ACCESS = "*"
"""Every scope the key's role has, now and in modules added later."""


def vocabulary(platform: Platform) -> dict[Role, frozenset[str]]:
    """Per role, every scope the enabled modules' rules (and the kernel) give a meaning."""
    return scopes_by_role(rule for module in platform.modules for rule in module.rules)


def checked_scopes(
    role: Role, scopes: Sequence[str], known: Mapping[Role, frozenset[str]] | None
) -> list[str]:
    """`scopes` for a key of `role`, sorted and without repeats; 422 for a name that grants
    that role nothing, so a typo never makes a key that silently opens less (or more)."""
    wanted = sorted({scope.strip() for scope in scopes})
    if wanted == [FULL_ACCESS]:
        return wanted
    if FULL_ACCESS in wanted or not wanted:
        raise InvalidInput(
            "a key has either the scope * alone or named scopes", code="invalid_scope"
        )
    if known is None:
        raise ValueError("a key with named scopes is checked against the vocabulary")
    unknown = [scope for scope in wanted if scope not in known[role]]
    if unknown:
        raise InvalidInput(
            f"unknown scope for a {role.value} key: {', '.join(unknown)}",
            code="unknown_scope",
            unknown=unknown,
            allowed=sorted(known[role]),
        )
    return wanted
