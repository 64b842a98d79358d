"""Who may call sensors' routes."""

from __future__ import annotations

from smartcity.core.auth import PUBLIC, Role, roles_rule

READ = PUBLIC
"""SensorThings and sensor data are open data: anyone may read."""
WRITE = roles_rule(
    "sensors.write",
    Role.DEVICE,
    Role.OFFICER,
    Role.ADMIN,
    description="Devices (API key of role device) and officers write observations and entities.",
)
STAFF = roles_rule(
    "sensors.staff",
    Role.ADMIN,
    Role.OFFICER,
    description="Officers and administrators see the dead-letter queue.",
)

ALL_RULES = (WRITE, STAFF)
