"""Every route × every role: a route without a rule fails, and each rule is enforced.

A denied caller gets 401 (no credentials) or 403 `permission_denied` on the API,
and a redirect to sign-in or 403 on pages; an allowed caller never does.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from smartcity.core.auth import ANONYMOUS, Principal, Role, Rule
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
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
                scope="openid profile bindings payments services",
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
    return code in ("not_authenticated", "invalid_token", "permission_denied")


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
