"""Who may call alerts' routes, with which scope."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule

SCOPE = "alerts"
"""What device keys and staff credentials need for alerts' routes."""

REPORT = roles_rule(
    "alerts.report",
    Role.DEVICE,
    scope=SCOPE,
    description="Device keys of a detector's owner report events.",
)
CONSOLE = roles_rule(
    "alerts.console",
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description=(
        "Officers see, acknowledge and judge their department's alerts and refused events; "
        "administrators all of them."
    ),
)

ALL_RULES = (REPORT, CONSOLE)
