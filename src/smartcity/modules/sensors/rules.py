"""Who may call sensors' routes, with which scope, and how often."""

from __future__ import annotations

from smartcity.core.auth import PUBLIC, Role, roles_rule
from smartcity.core.ratelimit import rates

SCOPE = "sensors"
"""What device and staff credentials need for sensors' routes."""

READ = PUBLIC
"""SensorThings and sensor data are open data: anyone may read."""
WRITE = roles_rule(
    "sensors.write",
    Role.DEVICE,
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description="Devices (API key of role device) and officers write observations and entities.",
)
STAFF = roles_rule(
    "sensors.staff",
    Role.ADMIN,
    Role.OFFICER,
    scope=SCOPE,
    description="Officers and administrators see the dead-letter queue.",
)

ALL_RULES = (WRITE, STAFF)

QUERIES = rates("600 per minute")
"""SensorThings reads per caller: a query may filter and expand over many observations."""
