"""Who may call airquality's routes."""

from __future__ import annotations

from smartcity.core.auth import PUBLIC, Role, roles_rule

READ = PUBLIC
"""Air-quality maps, estimates, flags and alerts are open data: anyone may read."""
OPERATE = roles_rule(
    "airquality.operate",
    Role.OFFICER,
    Role.ADMIN,
    description="Officers and administrators run the quality pass, calibration and plume tracking.",
)

ALL_RULES = (OPERATE,)
