"""Who may see the shell's pages, and the scope each session needs."""

from __future__ import annotations

from smartcity.core.auth import ALL_ROLES, STAFF, Role, roles_rule

SIGNED_IN = roles_rule(
    "web.signed_in", *ALL_ROLES, scope="openid", description="Anyone signed in to the portal."
)
STAFF_CONSOLE = roles_rule(
    "web.staff", *STAFF, scope="openid", description="Officers and administrators."
)
AUDIT = roles_rule(
    "web.audit",
    *STAFF,
    scope="audit",
    description="Officers and administrators reading the audit log's private side.",
)
JOBS = roles_rule(
    "web.jobs",
    Role.ADMIN,
    scope="jobs",
    description="Administrators watching the job worker and retrying failed jobs.",
)
ALL_RULES = (SIGNED_IN, STAFF_CONSOLE, AUDIT, JOBS)
