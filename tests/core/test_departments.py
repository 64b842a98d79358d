"""The one department-scoping rule, for every kind of caller."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartcity.core.auth import Principal, Role, system_actor
from smartcity.core.departments import (
    UNASSIGNED,
    acts_for,
    own_department,
    require_department,
    scoped,
)
from smartcity.core.errors import PermissionDenied
from smartcity.core.platform import Platform
from smartcity.modules.chatbot.models import QuestionLog

OFFICER = Principal(kind="user", id="o", role=Role.OFFICER, department="DOF")
ADMIN = Principal(kind="user", id="a", role=Role.ADMIN)
SYSTEM = system_actor("test")
OTHERS = [
    Principal(kind="user", id="c", role=Role.CITIZEN),
    Principal(kind="organisation", id="v", role=Role.VENDOR, organisation="DOF"),
    Principal(kind="organisation", id="p", role=Role.PROVIDER, organisation="DOF"),
    Principal(kind="anonymous"),
]


def test_an_officer_acts_for_their_own_department_only() -> None:
    assert own_department(OFFICER) == "DOF"
    assert acts_for(OFFICER, "DOF")
    assert not acts_for(OFFICER, "DOT") and not acts_for(OFFICER, None)
    assert not acts_for(OFFICER, UNASSIGNED)


def test_an_officer_acts_on_unassigned_objects_only_where_the_module_says_so() -> None:
    assert acts_for(OFFICER, UNASSIGNED, unassigned=True)
    assert acts_for(OFFICER, None, unassigned=True)
    assert not acts_for(OFFICER, "DOT", unassigned=True)


@pytest.mark.parametrize("principal", [ADMIN, SYSTEM], ids=["admin", "system"])
def test_admins_and_the_platform_act_for_every_department(principal: Principal) -> None:
    assert own_department(principal) is None
    assert all(acts_for(principal, d) for d in ("DOF", "DOT", UNASSIGNED, None))


@pytest.mark.parametrize("principal", OTHERS, ids=lambda p: str(p.role or p.kind))
def test_nobody_else_acts_for_a_department(principal: Principal) -> None:
    assert own_department(principal) is None
    assert not any(acts_for(principal, d, unassigned=True) for d in ("DOF", UNASSIGNED))


def test_require_department_refuses_with_the_modules_code() -> None:
    require_department(OFFICER, "DOF", code="not_your_department", detail="no")
    with pytest.raises(PermissionDenied) as raised:
        require_department(OFFICER, "DOT", code="other_department", detail="not yours")
    assert raised.value.status == 403 and raised.value.code == "other_department"
    assert raised.value.detail == "not yours"


def test_scoped_lists_show_only_what_the_caller_acts_for(platform: Platform) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        for code in ("DOF", "DOT", UNASSIGNED):
            uow.session.add(
                QuestionLog(channel="api", text=code, outcome="declined", department_code=code)
            )
        uow.session.flush()
        uow.audit("test.logged", "test", "rows", {})
    query = select(QuestionLog.department_code)

    def seen(principal: Principal, **options: bool) -> set[str]:
        with platform.db.read_session() as session:
            narrowed = scoped(query, QuestionLog.department_code, principal, **options)
            return set(session.scalars(narrowed))

    assert seen(ADMIN) == seen(SYSTEM) == {"DOF", "DOT", UNASSIGNED}
    assert seen(OFFICER) == {"DOF"}
    assert seen(OFFICER, unassigned=True) == {"DOF", UNASSIGNED}
    assert all(seen(p, unassigned=True) == set() for p in OTHERS)
