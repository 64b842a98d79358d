"""Sign a new person into the portal in a test client, as the browser's sign-in would."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient

from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.oauth.routes import PORTAL_SCOPE
from smartcity.modules.identity.values import OrganisationKind

_people = itertools.count()


def sign_in_staff(platform: Platform, client: TestClient, department: str | None = None) -> str:
    """A new officer of `department` (an administrator for None), signed in; the CSRF token."""
    with platform.unit_of_work(system_actor("test")) as uow:
        if department:
            identity.ensure_organisation(uow, department, OrganisationKind.DEPARTMENT)
        person = identity.create_staff(
            uow,
            role=Role.OFFICER if department else Role.ADMIN,
            name="承辦人",
            email=f"staff{next(_people)}-{id(client)}@test.invalid",
            department_code=department,
        )
        token, row = identity.open_session(
            uow.session,
            person,
            kind="portal",
            scope=identity.portal_scope(person, PORTAL_SCOPE),
            hours=1,
        )
        csrf = row.csrf_token
    client.cookies.set(SESSION_COOKIE, token)
    return csrf
