"""The one department-scoping rule (ADR 21): who acts for which department's objects.

- Administrators and the platform itself act for every department.
- An officer (or a department's machine key) acts for their own department only; where a
  module has objects that belong to no department yet (a chatbot question nobody routed), its
  officers act on those too, and say so with `unassigned=True`.
- Nobody else acts for any department.

Lists show only what the caller acts for (`scoped`). A change to an object of another
department is refused with 403 and the module's stable code (`require_department`); an object
the caller may not know exists is the module's 404 instead (ADR 14).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from smartcity.core.auth import Principal, Role
from smartcity.core.errors import PermissionDenied

UNASSIGNED = ""
"""The department column's value for an object that belongs to no department yet."""


def acts_for_every_department(principal: Principal) -> bool:
    """Whether `principal` acts for all departments (administrators, the platform itself)."""
    return principal.role == Role.ADMIN or principal.kind == "system"


def own_department(principal: Principal) -> str | None:
    """The department an officer is confined to; None for everyone else."""
    return principal.department if principal.role == Role.OFFICER else None


def acts_for(principal: Principal, department: str | None, *, unassigned: bool = False) -> bool:
    """Whether `principal` may act on an object of `department`."""
    if acts_for_every_department(principal):
        return True
    own = own_department(principal)
    if own is None:
        return False
    return department == own or (unassigned and department in (UNASSIGNED, None))


def require_department(
    principal: Principal,
    department: str | None,
    *,
    code: str,
    detail: str,
    unassigned: bool = False,
) -> None:
    """403 with the module's `code` unless `principal` acts for `department`."""
    if not acts_for(principal, department, unassigned=unassigned):
        raise PermissionDenied(detail, code=code)


def scoped(
    query: Select[Any],
    column: ColumnElement[Any] | QueryableAttribute[Any],
    principal: Principal,
    *,
    unassigned: bool = False,
) -> Select[Any]:
    """`query` narrowed to the rows whose department `column` the caller acts for."""
    if acts_for_every_department(principal):
        return query
    own = own_department(principal)
    if own is None:
        return query.where(false())
    if unassigned:
        return query.where(column.in_([UNASSIGNED, own]))
    return query.where(column == own)
