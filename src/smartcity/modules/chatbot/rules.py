"""Who may call chatbot's routes, with which scope, and how often."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule
from smartcity.core.ratelimit import rates

SCOPE = "chatbot"
"""What staff credentials need for chatbot's routes."""

STAFF = roles_rule(
    "chatbot.staff",
    Role.ADMIN,
    Role.OFFICER,
    scope=SCOPE,
    description="Officers (their own department's items and questions) and administrators.",
)

CITIZEN = roles_rule(
    "chatbot.citizen",
    Role.CITIZEN,
    scope="services",
    description="Citizens: link their LINE account, set the home district the chatbot uses.",
)

ALL_RULES = (STAFF, CITIZEN)

QUESTIONS = rates("20 per minute; 300 per day")
"""Questions per asker (web, API): each is a search over the knowledge base."""
