"""Who the caller is to the living lab: the office, a host, an expert, a vendor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from smartcity.core.auth import Principal, Role
from smartcity.core.departments import acts_for, own_department, require_department
from smartcity.core.errors import NotFound
from smartcity.modules.identity.service import get_user
from smartcity.modules.livinglab.models import Pilot
from smartcity.modules.livinglab.settings import LivinglabSettings
from smartcity.modules.livinglab.statemachine import Actor


@dataclass(frozen=True)
class Caller:
    """A principal with what the living lab knows about them."""

    principal: Principal
    office: bool = False
    """An administrator or an officer of the project management office."""
    expert: bool = False
    """An officer whose staff roles include the expert role (scores any pilot)."""
    settings: LivinglabSettings | None = None

    @property
    def role(self) -> Role | None:
        """The caller's platform role."""
        return self.principal.role

    @property
    def is_admin(self) -> bool:
        """Whether the caller administers the platform."""
        return self.principal.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """An officer or an administrator."""
        return self.principal.role in (Role.ADMIN, Role.OFFICER)

    @property
    def department(self) -> str | None:
        """The officer's department code."""
        return own_department(self.principal)

    @property
    def vendor(self) -> str | None:
        """The vendor organisation code."""
        return self.principal.organisation if self.principal.role == Role.VENDOR else None

    def acts_for(self, department: str | None) -> bool:
        """Whether the caller may act for `department` (core.departments' rule)."""
        return acts_for(self.principal, department)

    def require_department(self, department: str | None) -> None:
        """403 unless the caller acts for `department`; the office acts for all of them."""
        if not self.office:
            require_department(
                self.principal,
                department,
                code="not_your_department",
                detail=f"officers act only for their own department ({department or 'none'})",
            )

    def actors(self, pilot: Pilot) -> set[Actor]:
        """The parts this caller plays for `pilot`."""
        parts: set[Actor] = set()
        if self.office:
            parts.add(Actor.OFFICE)
        if self.acts_for(pilot.department):
            parts.add(Actor.HOST)
        if self.vendor is not None and self.vendor == pilot.vendor:
            parts.add(Actor.VENDOR)
        return parts

    def may_see(self, pilot: Pilot) -> bool:
        """Published pilots are public; others only to those who run them."""
        return pilot.published or bool(self.actors(pilot))

    def require_visible(self, pilot: Pilot) -> None:
        """404 for a pilot the caller may not know exists."""
        if not self.may_see(pilot):
            raise NotFound("no such pilot", code="pilot_not_found")


def caller_for(session: Session, principal: Principal, settings: LivinglabSettings) -> Caller:
    """What the living lab makes of `principal`."""
    office = principal.role == Role.ADMIN or (
        principal.role == Role.OFFICER and principal.department == settings.office_department
    )
    expert = False
    if principal.role == Role.OFFICER and principal.kind == "user" and principal.id:
        try:
            user = get_user(session, principal.id)
        except NotFound:
            user = None
        expert = bool(user and settings.expert_staff_role in (user.staff_roles or []))
    return Caller(principal, office=office, expert=expert, settings=settings)
