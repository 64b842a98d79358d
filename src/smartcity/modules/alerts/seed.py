"""alerts' part of the demo city: the routing table.

The living lab's seed registers its two detector pilots' devices and their events
(through this module's services), since the pilots are made there.
"""

from __future__ import annotations

from smartcity.core.platform import Platform
from smartcity.core.uow import UnitOfWork
from smartcity.modules.alerts import service

ROUTES = (
    ("traffic", "", "DOT"),
    ("traffic", "carAccident", "TFD"),
    ("security", "", "TCPD"),
    ("health", "", "DOH"),
    ("environment", "", "DEP"),
    ("naturalDisaster", "", "TFD"),
)
"""(category, sub-category, department code) of the identity seed's departments."""


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Load the demo routing table."""
    for category, sub_category, department in ROUTES:
        service.set_route(uow, category, sub_category, department)
