"""payments on core.departments' one rule (ADR 21): the codes it refuses with, and what its
lists show.

Administrators and the platform act for every department, an officer for their own. Payments
adds one wider office on top: a provider sees the bills it collects for and its own payments,
settlement files and deliveries, whatever their department.
"""

from __future__ import annotations

from smartcity.core.auth import Principal, Role
from smartcity.core.departments import acts_for, acts_for_every_department, own_department
from smartcity.modules.payments import errors

NO_DEPARTMENT = "-"
"""A department code no object has: a list narrowed to it shows nothing."""


def check_department(principal: Principal, department: str) -> None:
    """403 unless `principal` acts for `department`: `not_your_department` for an officer of
    another one, `not_an_officer` for anyone who acts for none."""
    if acts_for(principal, department):
        return
    if principal.role == Role.OFFICER:
        raise errors.NotYourDepartment("officers act only for their own department")
    raise errors.NotAnOfficer("only officers act for a department")


def department_shown(principal: Principal, asked: str | None = None) -> str | None:
    """The department a staff list is narrowed to: the one asked for (None: all) for whoever
    acts for every department, an officer's own whatever they ask, and none for others."""
    if acts_for_every_department(principal):
        return asked
    return own_department(principal) or NO_DEPARTMENT


def own_organisation(principal: Principal) -> str | None:
    """What a provider's lists are narrowed to (its own code); None for everyone else."""
    if principal.role != Role.PROVIDER:
        return None
    return principal.organisation or NO_DEPARTMENT


def delivery_owner(principal: Principal) -> str | None:
    """Whose webhook deliveries a caller sees: an officer their department's, a provider its
    own; None (all) for whoever acts for every department."""
    if acts_for_every_department(principal):
        return None
    return own_department(principal) or own_organisation(principal) or NO_DEPARTMENT
