"""Who may call opendata's routes, with which scope."""

from __future__ import annotations

from smartcity.core.auth import Role, Rule

SCOPE = "opendata"
"""What staff credentials need to be recognised by the catalogue (and so to write to it)."""

CATALOGUE = Rule(
    "opendata.catalogue",
    None,
    {Role.ADMIN: SCOPE, Role.OFFICER: SCOPE},
    description="Anyone reads the public catalogue; officers (their own department's "
    "datasets) and administrators with the `opendata` scope also write and see private ones.",
)

ALL_RULES = (CATALOGUE,)
