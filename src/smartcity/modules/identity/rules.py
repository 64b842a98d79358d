"""Who may call identity's routes, the scope each caller's credential needs, and how often
(sign-in's own limits are settings: settings.py)."""

from __future__ import annotations

from smartcity.core.auth import ALL_ROLES, Role, roles_rule
from smartcity.core.ratelimit import rates

SIGNED_IN = roles_rule(
    "identity.signed_in",
    *ALL_ROLES,
    scope="openid",
    description="Any authenticated caller whose credential may say who it belongs to.",
)
CITIZEN_PROFILE = roles_rule(
    "identity.citizen_profile",
    Role.CITIZEN,
    scope="profile",
    description="A citizen reading their own name, verification level and masked ID.",
)
CITIZEN_BINDINGS = roles_rule(
    "identity.citizen_bindings",
    Role.CITIZEN,
    scope="bindings",
    description="A citizen managing their own bindings.",
)
BINDING_DECIDERS = roles_rule(
    "identity.binding_deciders",
    Role.ADMIN,
    Role.OFFICER,
    Role.PROVIDER,
    scope="bindings",
    description="Those who confirm bindings: officers, admins, and providers for payment methods.",
)
STAFF = roles_rule(
    "identity.staff",
    Role.ADMIN,
    Role.OFFICER,
    scope="identity",
    description="Department officers and administrators.",
)
ADMIN = roles_rule(
    "identity.admin", Role.ADMIN, scope="identity", description="Platform administrators."
)

ALL_RULES = (SIGNED_IN, CITIZEN_PROFILE, CITIZEN_BINDINGS, BINDING_DECIDERS, STAFF, ADMIN)

AUTHORIZE_REQUESTS = rates("60 per minute")
"""Authorisation requests per address (each checks a client and renders a page)."""
TOKEN_REQUESTS = rates("300 per minute")
"""Token requests per address: generous, an application's server redeems codes for everyone."""
FEDERATION_CALLBACKS = rates("20 per minute")
"""Returns from the outside identity provider per address (each calls that provider)."""
CITIZEN_LOOKUPS = rates("30 per minute; 300 per day")
"""Staff look-ups by national ID per caller: each tells whether an ID number is registered."""
