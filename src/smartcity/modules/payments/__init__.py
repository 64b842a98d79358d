"""payments: the unified government payment platform — bills, providers, ledger, reconciliation."""

from smartcity.modules.payments.manifest import manifest

__all__ = ["manifest"]
