"""The running platform: settings, database, keys, log, jobs and modules, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smartcity.core.audit.log import TransparencyLog
from smartcity.core.auth import Authenticator, Principal
from smartcity.core.db import Database
from smartcity.core.jobs.catalogue import JobCatalogue
from smartcity.core.keys import KeyRing
from smartcity.core.registry import Manifest
from smartcity.core.settings import Settings
from smartcity.core.uow import UnitOfWork


@dataclass
class Platform:
    """Shared by every request and command of one app; never a global."""

    settings: Settings
    db: Database
    keys: KeyRing
    log: TransparencyLog
    jobs: JobCatalogue
    """Tasks, schedules and event subscriptions of the enabled modules."""
    modules: list[Manifest]
    authenticator: Authenticator | None = None
    services: dict[str, Any] = field(default_factory=dict)
    """Objects the edge uses: the page renderer, metrics, test transports."""
    module_settings: dict[str, Any] = field(default_factory=dict)
    """Each module's own settings object, by module name."""

    def unit_of_work(self, actor: Principal, request_id: str | None = None) -> UnitOfWork:
        """A new write transaction acting as `actor`."""
        return UnitOfWork(self.db.write_session(), self.log, self.jobs, actor, request_id)

    def module(self, name: str) -> Manifest | None:
        """The enabled module called `name`, if any."""
        return next((m for m in self.modules if m.name == name), None)
