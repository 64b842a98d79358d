"""Who may call livinglab's routes (object-level checks live in the service)."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule

STAFF = roles_rule(
    "livinglab.staff",
    Role.ADMIN,
    Role.OFFICER,
    description="Department officers (for their own department), the office and administrators.",
)
VENDOR = roles_rule(
    "livinglab.vendor",
    Role.VENDOR,
    description="Vendors (companies, start-ups, communities, academia) acting for themselves.",
)
PARTICIPANTS = roles_rule(
    "livinglab.participants",
    Role.ADMIN,
    Role.OFFICER,
    Role.VENDOR,
    description="Those who run pilots: host officers, the office, admins and the pilot's vendor.",
)
CITIZEN = roles_rule(
    "livinglab.citizen",
    Role.CITIZEN,
    description="Citizens trying pilots (feedback needs a verified identity).",
)
ADMIN = roles_rule(
    "livinglab.admin", Role.ADMIN, description="Administrators (importing other cities' pilots)."
)

ALL_RULES = (STAFF, VENDOR, PARTICIPANTS, CITIZEN, ADMIN)
