"""Every route × every role × its scope: a route without a rule fails, and each rule is enforced.

A denied caller gets 401 (no credentials) or 403 `permission_denied` on the API,
and a redirect to sign-in or 403 on pages; an allowed caller never does. A caller of an
allowed role whose credential lacks the route's scope gets 403 `insufficient_scope`
(RFC 6750 §3.1), and one whose credential holds only that scope passes.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from smartcity.core.auth import ANONYMOUS, Principal, Role, Rule, scopes_by_role
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from smartcity.modules.identity.oauth.routes import PORTAL_SCOPE
from tests.conftest import Actors
from tests.support.routes import iter_routes

# FastAPI's OpenAPI document is public by design and carries no dependency.
FRAMEWORK_ROUTES = {"/openapi.json"}
USER_ROLES = (Role.CITIZEN, Role.OFFICER, Role.ADMIN)


def _rule_dependencies(route: APIRoute) -> list[Any]:
    found = []
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if hasattr(dependant.call, "rule"):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def _concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(uuid.uuid4()) if name.endswith("id") else "1"

    return re.sub(r"\{([^}:]+)(:[^}]+)?\}", value, path)


def _app_routes(app: Any) -> list[tuple[str, APIRoute]]:
    routes = []
    for path, route in iter_routes(app):
        if isinstance(route, APIRoute):
            routes.append((path, route))
        elif isinstance(route, Mount):
            assert path == "/static", f"unexpected mount {path}"
        elif isinstance(route, Route):
            assert path in FRAMEWORK_ROUTES, f"{path} is not an API route with a rule"
    assert len(routes) > 20, "the route walk found too few routes"
    return routes


def test_every_route_declares_exactly_one_rule(app: Any) -> None:
    missing = [
        f"{sorted(r.methods)} {path}"
        for path, r in _app_routes(app)
        if len(_rule_dependencies(r)) != 1
    ]
    assert not missing, f"routes without exactly one authorisation rule: {missing}"


def test_every_rule_is_documented_in_a_manifest(app: Any, platform: Platform) -> None:
    from smartcity.web import rules as web_rules

    declared = {rule.name for module in platform.modules for rule in module.rules}
    declared |= {rule.name for rule in web_rules.ALL_RULES} | {"public"}
    used = {dep.rule.name for _path, route in _app_routes(app) for dep in _rule_dependencies(route)}
    assert used <= declared, f"rules used by routes but not declared: {used - declared}"


def _expected_allowed(rule: Rule, role: Role | None) -> bool:
    principal = ANONYMOUS if role is None else Principal(kind="user", id="x", role=role)
    return rule.allows(principal)


@pytest.fixture
def credentials(platform: Platform, actors: Actors) -> dict[str, dict[str, Any]]:
    """Per role: bearer headers for the API, and a portal cookie + CSRF token for pages."""
    from smartcity.core.auth import system_actor
    from smartcity.modules.identity import service

    made: dict[str, dict[str, Any]] = {"anonymous": {"bearer": None, "cookie": None}}
    for role in Role:
        made[role.value] = {"bearer": actors.token(role), "cookie": None}
    with platform.unit_of_work(system_actor("test")) as uow:
        users = {
            Role.CITIZEN: service.register_citizen(
                uow, platform.keys, national_id="A123456789", name="矩陣"
            ),
            Role.OFFICER: service.create_staff(
                uow, role=Role.OFFICER, name="o", email="o@test.invalid", department_code="DOT"
            ),
            Role.ADMIN: service.create_staff(
                uow, role=Role.ADMIN, name="a", email="a@test.invalid"
            ),
        }
        for role, user in users.items():
            token, row = service.open_session(
                uow.session,
                user,
                kind="portal",
                scope=service.portal_scope(user, PORTAL_SCOPE),
                hours=1,
            )
            made[role.value]["cookie"] = (token, row.csrf_token)
    return made


def _call(client: TestClient, method: str, path: str, surface: str, creds: dict[str, Any]) -> Any:
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if surface == "api" and creds["bearer"]:
        headers["Authorization"] = f"Bearer {creds['bearer']}"
    if surface == "page" and creds["cookie"]:
        cookies[SESSION_COOKIE] = creds["cookie"][0]
        headers["X-CSRF-Token"] = creds["cookie"][1]
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json" if surface != "page" else "data"] = {}
    return client.request(method, path, **kwargs)


def _denied(response: Any, surface: str) -> bool:
    if surface == "page" and response.status_code == 303:
        return response.headers["location"].startswith("/login")
    if response.status_code not in (401, 403):
        return False
    code = response.json().get("code")
    return code in ("not_authenticated", "invalid_token", "permission_denied", "insufficient_scope")


def test_matrix(client: TestClient, app: Any, credentials: dict[str, dict[str, Any]]) -> None:
    failures = []
    checked = 0
    # Signing out ends the session the other calls use, so it goes last.
    ordered = sorted(_app_routes(app), key=lambda item: item[0] == "/logout")
    for route_path, route in ordered:
        (dependency,) = _rule_dependencies(route)
        rule: Rule = dependency.rule
        surface: str = dependency.surface
        # Machine roles have no portal session: on pages they are anonymous.
        roles: list[Role | None] = [None, *(USER_ROLES if surface == "page" else Role)]
        for method in sorted(route.methods - {"HEAD"}):
            path = _concrete(route_path)
            for role in roles:
                creds = credentials["anonymous" if role is None else role.value]
                response = _call(client, method, path, surface, creds)
                allowed = _expected_allowed(rule, role) or surface == "open"
                if allowed == _denied(response, surface):
                    failures.append(
                        f"{method} {route_path} as {role or 'anonymous'}: "
                        f"{response.status_code} (rule {rule.name})"
                    )
                checked += 1
    assert checked > 100
    assert not failures, "\n".join(failures)


def _vocabulary(app: Any) -> dict[Role, frozenset[str]]:
    return scopes_by_role(
        dep.rule for _path, route in _app_routes(app) for dep in _rule_dependencies(route)
    )


class ScopedCredentials:
    """Credentials of one role holding exactly some scopes: an API key, and for people
    also a portal session (made once per role and set of scopes)."""

    def __init__(self, platform: Platform, vocabulary: dict[Role, frozenset[str]]) -> None:
        self.platform = platform
        self.vocabulary = vocabulary
        self.made: dict[tuple[Role, frozenset[str]], dict[str, Any]] = {}

    def __call__(self, role: Role, scopes: frozenset[str]) -> dict[str, Any]:
        if (role, scopes) not in self.made:
            self.made[role, scopes] = self._make(role, scopes)
        return self.made[role, scopes]

    def _make(self, role: Role, scopes: frozenset[str]) -> dict[str, Any]:
        from smartcity.core.auth import system_actor
        from smartcity.modules.identity import service
        from smartcity.modules.identity.seed import national_id
        from smartcity.modules.identity.values import OrganisationKind

        with self.platform.unit_of_work(system_actor("test")) as uow:
            number = len(self.made)
            user = organisation = None
            if role == Role.CITIZEN:
                user = service.register_citizen(
                    uow,
                    self.platform.keys,
                    national_id=national_id("B", 1, 3_000_000 + number),
                    name="範圍",
                )
            elif role in (Role.OFFICER, Role.ADMIN):
                service.ensure_organisation(uow, "DOT", OrganisationKind.DEPARTMENT)
                user = service.create_staff(
                    uow,
                    role=role,
                    name="s",
                    email=f"scoped{number}@test.invalid",
                    department_code="DOT" if role == Role.OFFICER else None,
                )
            else:
                kind = service.ROLE_ORGANISATION[role]
                organisation = service.ensure_organisation(uow, f"SCOPED-{role.value}", kind)
            key = service.issue_api_key(
                uow,
                role=role,
                label="matrix",
                scopes=sorted(scopes),
                vocabulary=self.vocabulary,
                user=user,
                organisation=organisation,
            )
            cookie = None
            if user is not None:
                token, row = service.open_session(
                    uow.session, user, kind="portal", scope=" ".join(sorted(scopes)), hours=1
                )
                cookie = (token, row.csrf_token)
            return {"bearer": key.token, "cookie": cookie}


def test_scope_matrix(client: TestClient, app: Any, platform: Platform) -> None:
    vocabulary = _vocabulary(app)
    scoped = ScopedCredentials(platform, vocabulary)
    failures = []
    checked = 0
    ordered = sorted(_app_routes(app), key=lambda item: item[0] == "/logout")
    for route_path, route in ordered:
        (dependency,) = _rule_dependencies(route)
        rule: Rule = dependency.rule
        surface: str = dependency.surface
        if rule.roles is None:
            continue
        roles = [r for r in rule.roles if surface == "api" or r in USER_ROLES]
        for method in sorted(route.methods - {"HEAD"}):
            path = _concrete(route_path)
            for role in sorted(roles):
                scope = rule.scope_for(role)
                assert scope is not None, f"{rule.name} names no scope for {role}"
                others = vocabulary[role] - {scope}
                assert others, f"a {role} credential needs some scope besides {scope}"
                lacking = _call(client, method, path, surface, scoped(role, others))
                challenge = lacking.headers.get("www-authenticate", "")
                refused = (
                    lacking.status_code == 403
                    and lacking.json().get("code") == "insufficient_scope"
                    and lacking.json().get("scope") == scope
                    and 'error="insufficient_scope"' in challenge
                    and f'scope="{scope}"' in challenge
                )
                if not refused:
                    failures.append(
                        f"{method} {route_path} as {role} without {scope}: "
                        f"{lacking.status_code} {challenge!r} (rule {rule.name})"
                    )
                holding = _call(client, method, path, surface, scoped(role, frozenset({scope})))
                if _denied(holding, surface):
                    failures.append(
                        f"{method} {route_path} as {role} with only {scope}: "
                        f"{holding.status_code} (rule {rule.name})"
                    )
                checked += 2
    assert checked > 300
    assert not failures, "\n".join(failures)


def test_every_rule_names_scopes_of_the_vocabulary(app: Any, platform: Platform) -> None:
    from smartcity.modules.identity.scopes import vocabulary
    from smartcity.web import rules as web_rules

    # What API keys may be granted (from the modules' rules and the kernel) covers every
    # scope a route asks for, the shell's included.
    known = vocabulary(platform)
    for rule in (*web_rules.ALL_RULES, *(r for m in platform.modules for r in m.rules)):
        for role, scope in rule.scopes.items():
            assert scope in known[role], f"{rule.name}: {scope} is not grantable to {role}"
    assert _vocabulary(app) == known
