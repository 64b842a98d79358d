"""What the worker can run: tasks, schedules and event subscriptions, from the manifests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cronsim import CronSim

from smartcity.core.events import Event, event_key
from smartcity.core.registry import Manifest, Schedule, lazy
from smartcity.core.time import as_utc

if TYPE_CHECKING:
    from smartcity.core.platform import Platform

Task = Callable[["Platform", Any], None]
"""A task gets the platform and its payload (a dict), or, for a subscriber, the event."""

CORE_TASKS = {
    "core.jobs.prune": "smartcity.core.jobs.tasks:prune_finished",
    "core.audit.verify": "smartcity.core.jobs.tasks:verify_audit_log",
}
CORE_SCHEDULES = (
    Schedule("core.jobs.prune", "30 3 * * *", "core.jobs.prune"),
    # Was a crontab line in the operations guide: a failed run is a failed job on /staff/jobs.
    Schedule("core.audit.verify", "0 4 * * *", "core.audit.verify"),
)


def next_due(schedule: Schedule, after: datetime, zone: ZoneInfo) -> datetime:
    """The first time after `after` that `schedule`'s cron expression names, in `zone`, as UTC."""
    local = as_utc(after).astimezone(zone).replace(tzinfo=None)
    # cronsim reads wall-clock fields; the city's zone turns them into an instant.
    return as_utc(next(iter(CronSim(schedule.cron, local))).replace(tzinfo=zone))


@dataclass
class JobCatalogue:
    """Tasks by name, schedules, and the tasks subscribed to each event class."""

    tasks: dict[str, Task] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    subscribers: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_manifests(cls, modules: Sequence[Manifest]) -> JobCatalogue:
        """The kernel's jobs and those every enabled module declares."""
        catalogue = cls()
        for name, target in CORE_TASKS.items():
            catalogue.add_task(name, lazy(target))
        for schedule in CORE_SCHEDULES:
            catalogue.add_schedule(schedule)
        for module in modules:
            for name, target in module.tasks.items():
                catalogue.add_task(name, lazy(target))
            for schedule in module.schedules:
                catalogue.add_schedule(schedule)
            for event_path, task in module.subscribes:
                catalogue.subscribe(event_path, task)
        return catalogue

    def add_task(self, name: str, task: Task) -> None:
        """Make `name` runnable."""
        if name in self.tasks:
            raise ValueError(f"two tasks are called {name!r}")
        self.tasks[name] = task

    def add_schedule(self, schedule: Schedule) -> None:
        """Run `schedule.task` whenever its cron expression is due (in the city's zone)."""
        if schedule.task not in self.tasks:
            raise ValueError(f"schedule {schedule.name!r} names no task {schedule.task!r}")
        # Refuses a malformed expression now rather than when it is first due.
        CronSim(schedule.cron, datetime(2000, 1, 1, tzinfo=UTC))
        self.schedules.append(schedule)

    def subscribe(self, event: str | type[Event], task: str) -> None:
        """Run `task` for every committed event of the class (`"package.module:Class"`)."""
        if task not in self.tasks:
            raise ValueError(f"a subscription names no task {task!r}")
        key = event if isinstance(event, str) else event_key(event)
        self.subscribers.setdefault(key, []).append(task)

    def subscribers_of(self, event: Event) -> list[str]:
        """The tasks that must receive `event` (none: it is not stored)."""
        return self.subscribers.get(event_key(type(event)), [])
