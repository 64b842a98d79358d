"""Who may see the shell's pages."""

from __future__ import annotations

from smartcity.core.auth import ALL_ROLES, STAFF, Rule

SIGNED_IN = Rule("web.signed_in", ALL_ROLES, description="Anyone signed in to the portal.")
STAFF_CONSOLE = Rule("web.staff", STAFF, description="Officers and administrators.")
ALL_RULES = (SIGNED_IN, STAFF_CONSOLE)
