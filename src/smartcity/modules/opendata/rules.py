"""Who may call opendata's routes, with which scope."""

from __future__ import annotations

from smartcity.core.auth import Role, Rule, roles_rule

SCOPE = "opendata"
"""What staff credentials need to be recognised by the catalogue (and so to write to it)."""

CATALOGUE = Rule(
    "opendata.catalogue",
    None,
    {Role.ADMIN: SCOPE, Role.OFFICER: SCOPE},
    description="Anyone reads the public catalogue; officers (their own department's "
    "datasets) and administrators with the `opendata` scope also write and see private ones.",
)

HARVEST = roles_rule(
    "opendata.harvest",
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description="Officers of the department that runs the catalogue "
    "(`SMARTCITY_OPENDATA_OFFICE_DEPARTMENT`) and administrators keep the harvest sources.",
)

ALL_RULES = (CATALOGUE, HARVEST)
