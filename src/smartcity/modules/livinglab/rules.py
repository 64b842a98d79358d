"""Who may call livinglab's routes and with which scope (object-level checks: the service)."""

from __future__ import annotations

from smartcity.core.auth import Role, Rule, roles_rule

SCOPE = "livinglab"
"""What staff and vendor credentials need for livinglab's routes (citizens: `services`)."""

STAFF = roles_rule(
    "livinglab.staff",
    Role.ADMIN,
    Role.OFFICER,
    scope=SCOPE,
    description="Department officers (for their own department), the office and administrators.",
)
VENDOR = roles_rule(
    "livinglab.vendor",
    Role.VENDOR,
    scope=SCOPE,
    description="Vendors (companies, start-ups, communities, academia) acting for themselves.",
)
PARTICIPANTS = roles_rule(
    "livinglab.participants",
    Role.ADMIN,
    Role.OFFICER,
    Role.VENDOR,
    scope=SCOPE,
    description="Those who run pilots: host officers, the office, admins and the pilot's vendor.",
)
CITIZEN = roles_rule(
    "livinglab.citizen",
    Role.CITIZEN,
    scope="services",
    description="Citizens trying pilots (feedback needs a verified identity).",
)
ADMIN = roles_rule(
    "livinglab.admin",
    Role.ADMIN,
    scope=SCOPE,
    description="Administrators (importing other cities' pilots).",
)
OPEN = Rule(
    "livinglab.open",
    None,
    {Role.ADMIN: SCOPE, Role.OFFICER: SCOPE, Role.VENDOR: SCOPE, Role.CITIZEN: "services"},
    description="Anyone; those who run a pilot see more of it when their credential allows.",
)

ALL_RULES = (STAFF, VENDOR, PARTICIPANTS, CITIZEN, ADMIN, OPEN)
