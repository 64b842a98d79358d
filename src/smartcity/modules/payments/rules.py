"""Who may call payments' routes and how often (object-level checks are in the services)."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule
from smartcity.core.ratelimit import rates

SCOPE = "payments"
"""What every caller's credential needs for payments' routes."""

PROVIDERS = roles_rule(
    "payments.providers",
    Role.PROVIDER,
    scope=SCOPE,
    description="A collecting provider (bank, store, wallet) acting for its own code.",
)
SETTLERS = roles_rule(
    "payments.settlers",
    Role.PROVIDER,
    Role.ADMIN,
    scope=SCOPE,
    description="A provider sending its settlement file, or an administrator for one.",
)
BILL_READERS = roles_rule(
    "payments.bill_readers",
    Role.PROVIDER,
    Role.OFFICER,
    Role.ADMIN,
    Role.CITIZEN,
    scope=SCOPE,
    description="Providers look bills up; officers their department's; citizens their own.",
)
ISSUERS = roles_rule(
    "payments.issuers",
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description="Officers of the item's department (and administrators) issue and cancel bills.",
)
REFUNDERS = roles_rule(
    "payments.refunders",
    Role.PROVIDER,
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description="The payment's provider, the bill's department or an administrator refund.",
)
CITIZENS = roles_rule(
    "payments.citizens",
    Role.CITIZEN,
    scope=SCOPE,
    description="A citizen's own bills, receipts, payouts and autopay.",
)
STAFF = roles_rule(
    "payments.staff",
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description="Department officers (their department only) and administrators.",
)
CAR_PARKS = roles_rule(
    "payments.car_parks",
    Role.DEVICE,
    scope=SCOPE,
    description="Device keys of a registered car park (a device owner that a department runs) "
    "reporting exits.",
)


SETTLEMENT_READERS = roles_rule(
    "payments.settlement_readers",
    Role.PROVIDER,
    Role.OFFICER,
    Role.ADMIN,
    scope=SCOPE,
    description="A provider its own reports; officers their department's findings; admins all.",
)
PAYOUT_EXPORTERS = roles_rule(
    "payments.payout_exporters",
    Role.OFFICER,
    scope=SCOPE,
    description="Officers of the batch's department fetch an approved batch's bank file "
    "(full account numbers; audited).",
)
ADMIN = roles_rule(
    "payments.admin",
    Role.ADMIN,
    scope=SCOPE,
    description="Administrators registering providers and car parks.",
)

ALL_RULES = (
    PROVIDERS,
    SETTLERS,
    BILL_READERS,
    ISSUERS,
    REFUNDERS,
    CITIZENS,
    STAFF,
    CAR_PARKS,
    SETTLEMENT_READERS,
    PAYOUT_EXPORTERS,
    ADMIN,
)

LOOKUPS = rates("120 per minute")
"""Bill look-ups by reference per person: each tells whether a reference exists."""
PROVIDER_LOOKUPS = rates("6000 per minute")
"""A provider's key looks up every bill a counter scans (thousands of stores behind one key);
references carry a check digit in 16 digits, so this bounds a leaked key, not guessing."""
SETTLEMENT_FILES = rates("30 per hour")
"""Settlement files per caller: each is parsed and matched against every payment of its days."""
