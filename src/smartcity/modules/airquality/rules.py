"""Who may call airquality's routes, with which scope, and how often."""

from __future__ import annotations

from smartcity.core.auth import PUBLIC, Role, roles_rule
from smartcity.core.ratelimit import rates

SCOPE = "airquality"
"""What staff credentials need for airquality's routes."""

READ = PUBLIC
"""Air-quality maps, estimates, flags and alerts are open data: anyone may read."""
OPERATE = roles_rule(
    "airquality.operate",
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description="Officers and administrators run the quality pass, calibration and plume tracking.",
)

ALL_RULES = (OPERATE,)

SURFACES = rates("120 per minute")
"""Estimates, maps and contours per caller: each interpolates the whole network."""
