"""Who may call parking's routes, with which scope."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule

SCOPE = "parking"
"""What staff and device credentials need for parking's routes."""

STAFF = roles_rule(
    "parking.staff",
    Role.ADMIN,
    Role.OFFICER,
    scope=SCOPE,
    description="Officers (their own department's segments and sessions) and administrators.",
)

SIGHTINGS = roles_rule(
    "parking.sightings",
    Role.ADMIN,
    Role.OFFICER,
    Role.DEVICE,
    scope=SCOPE,
    description="Wardens' handhelds and cameras (device keys), officers and administrators "
    "report plates seen in bays.",
)

ALL_RULES = (STAFF, SIGHTINGS)
