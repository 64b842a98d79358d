"""Who may call payments' routes (object-level checks are in the services)."""

from __future__ import annotations

from smartcity.core.auth import Role, roles_rule

PROVIDERS = roles_rule(
    "payments.providers",
    Role.PROVIDER,
    description="A collecting provider (bank, store, wallet) acting for its own code.",
)
SETTLERS = roles_rule(
    "payments.settlers",
    Role.PROVIDER,
    Role.ADMIN,
    description="A provider sending its settlement file, or an administrator for one.",
)
BILL_READERS = roles_rule(
    "payments.bill_readers",
    Role.PROVIDER,
    Role.OFFICER,
    Role.ADMIN,
    Role.CITIZEN,
    description="Providers look bills up; officers their department's; citizens their own.",
)
ISSUERS = roles_rule(
    "payments.issuers",
    Role.OFFICER,
    Role.ADMIN,
    description="Officers of the item's department (and administrators) issue and cancel bills.",
)
REFUNDERS = roles_rule(
    "payments.refunders",
    Role.PROVIDER,
    Role.OFFICER,
    Role.ADMIN,
    description="The payment's provider, the bill's department or an administrator refund.",
)
CITIZENS = roles_rule("payments.citizens", Role.CITIZEN, description="A citizen's own e-ledger.")
STAFF = roles_rule(
    "payments.staff",
    Role.OFFICER,
    Role.ADMIN,
    description="Department officers (their department only) and administrators.",
)
CAR_PARKS = roles_rule(
    "payments.car_parks",
    Role.DEVICE,
    description="Device keys of a registered car park (a device owner that a department runs) "
    "reporting exits.",
)


SETTLEMENT_READERS = roles_rule(
    "payments.settlement_readers",
    Role.PROVIDER,
    Role.OFFICER,
    Role.ADMIN,
    description="A provider its own reports; officers their department's findings; admins all.",
)
PAYOUT_EXPORTERS = roles_rule(
    "payments.payout_exporters",
    Role.OFFICER,
    description="Officers of the batch's department fetch an approved batch's bank file "
    "(full account numbers; audited).",
)
ADMIN = roles_rule(
    "payments.admin", Role.ADMIN, description="Administrators registering providers and car parks."
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
