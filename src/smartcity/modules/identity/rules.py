"""Who may call identity's routes."""

from __future__ import annotations

from smartcity.core.auth import ALL_ROLES, Role, Rule, roles_rule

SIGNED_IN = Rule("identity.signed_in", ALL_ROLES, description="Any authenticated caller.")
CITIZEN_BINDINGS = roles_rule(
    "identity.citizen_bindings",
    Role.CITIZEN,
    scope="bindings",
    description="A citizen managing their own bindings.",
)
CITIZEN_PORTAL = roles_rule(
    "identity.citizen_portal", Role.CITIZEN, description="A citizen's own pages."
)
BINDING_DECIDERS = roles_rule(
    "identity.binding_deciders",
    Role.ADMIN,
    Role.OFFICER,
    Role.PROVIDER,
    description="Those who confirm bindings: officers, admins, and providers for payment methods.",
)
STAFF = roles_rule(
    "identity.staff",
    Role.ADMIN,
    Role.OFFICER,
    description="Department officers and administrators.",
)
ADMIN = roles_rule("identity.admin", Role.ADMIN, description="Platform administrators.")

ALL_RULES = (SIGNED_IN, CITIZEN_BINDINGS, CITIZEN_PORTAL, BINDING_DECIDERS, STAFF, ADMIN)
