"""opendata's part of the demo city: the catalogue of what the other modules loaded."""

from __future__ import annotations

from smartcity.core.platform import Platform
from smartcity.core.uow import UnitOfWork
from smartcity.modules.opendata.catalogue import refresh


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """List every registered dataset; count the data once every module has seeded its part."""
    refresh(uow, platform)
    # Modules after this one in the seeding order have not loaded their data yet.
    uow.enqueue("opendata.refresh")
