"""Who may call participation's routes, with which scope, and how often."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule
from smartcity.core.ratelimit import rates

SCOPE = "participation"
"""What staff and citizen credentials need for participation's routes."""

STAFF = roles_rule(
    "participation.staff",
    Role.ADMIN,
    Role.OFFICER,
    scope=SCOPE,
    description="Officers (their own department's votes) and administrators: create and tally.",
)

VOTER = roles_rule(
    "participation.voter",
    Role.CITIZEN,
    scope="services",
    description="Citizens: take their credential and cast ballots (eligibility is checked too).",
)

ALL_RULES = (STAFF, VOTER)

CREDENTIALS = rates("5 per minute; 50 per day")
"""Credential requests per citizen: each one is a key derivation and a write."""

BALLOTS = rates("20 per minute; 500 per day")
"""Ballots per caller: each is a few dozen 2048-bit exponentiations."""

SECONDS = rates("10 per minute; 100 per day")
"""Proposals and seconds per citizen."""

TRUSTEE_UPLOADS = rates("10 per minute; 100 per day")
"""Outside trustees' uploads per caller: each is checked against its proofs."""
