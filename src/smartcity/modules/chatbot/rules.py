"""Who may call chatbot's routes."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule

STAFF = roles_rule(
    "chatbot.staff",
    Role.ADMIN,
    Role.OFFICER,
    description="Officers (their own department's items and questions) and administrators.",
)

ALL_RULES = (STAFF,)
