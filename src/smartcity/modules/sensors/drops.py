"""The broker's drop alarm: messages the MQTT broker had to drop are never a silent loss.

Beyond a subscriber's in-flight window Mosquitto queues at most `max_queued_messages` per
client and drops the rest. Mosquitto 2.0 reports those drops as a load average,
`$SYS/broker/load/publish/dropped/1min`, republished every `sys_interval` seconds (10 by
default); its `$SYS/broker/publish/messages/dropped` total stays 0 for queue drops. The load is
an exponentially decaying rate per minute (mosquitto's `calc_load`):

    new = e·old + (1 − e)·(dropped · 60 / Δ),   e = exp(−Δ / 60),   Δ = the sys interval

so the messages dropped during one interval are (new − e·old)·Δ / (60·(1 − e)). Δ is read
from `$SYS/broker/uptime`, which the broker republishes every interval.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors.models import BrokerDrop

if TYPE_CHECKING:
    from smartcity.core.platform import Platform

log = logging.getLogger("smartcity.sensors.mqtt")

DROP_LOAD_TOPIC = "$SYS/broker/load/publish/dropped/1min"
UPTIME_TOPIC = "$SYS/broker/uptime"
STOCK_SYS_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Drop:
    """A rise of the broker's drop load: about `dropped` messages lost in its last interval."""

    dropped: int
    load: str


class DropWatch:
    """Reads the broker's `$SYS` reports and tells when its drop load rose."""

    def __init__(self) -> None:
        self._load: float | None = None
        self._uptime: float | None = None
        self.interval_s = STOCK_SYS_INTERVAL_S

    def heard(self, topic: str, payload: bytes) -> Drop | None:
        """Take one `$SYS` message; a `Drop` when it says the broker dropped messages."""
        words = payload.decode("ascii", "replace").split()
        try:
            value = float(words[0])
        except (IndexError, ValueError):
            return None
        if topic == UPTIME_TOPIC:
            if self._uptime is not None and value > self._uptime:
                self.interval_s = value - self._uptime
            self._uptime = value
            return None
        if topic != DROP_LOAD_TOPIC:
            return None
        previous, self._load = self._load, value
        if previous is None:
            return None  # the retained report of drops this process did not witness start
        decay = math.exp(-self.interval_s / 60)
        dropped = (value - decay * previous) * self.interval_s / (60 * (1 - decay))
        if dropped < 0.5:
            return None  # the load only decayed (reports carry two decimals)
        return Drop(max(1, round(dropped)), words[0])


def record_drop(uow: UnitOfWork, broker: str, drop: Drop) -> bool:
    """Keep the alarm once (several ingesters hear the same report); False if already kept.

    Two ingesters keeping the same report at the same moment: the second one's commit fails
    on the unique (broker, load), which its caller takes as "already kept".
    """
    broker = broker[:200]
    kept = select(BrokerDrop.id).where(BrokerDrop.broker == broker, BrokerDrop.load == drop.load)
    if uow.session.execute(kept).first() is not None:
        return False
    uow.session.add(BrokerDrop(broker=broker, dropped=drop.dropped, load=drop.load))
    uow.audit("sensors.broker.dropped", "broker", broker, {"dropped": drop.dropped})
    return True


def recent_drops(session: Session, limit: int = 20) -> list[BrokerDrop]:
    """The newest drop alarms."""
    return list(
        session.execute(
            select(BrokerDrop).order_by(BrokerDrop.id.desc()).limit(max(1, min(limit, 1000)))
        ).scalars()
    )


def dropped_total(session: Session) -> int:
    """Messages the brokers reported dropping, in all."""
    return int(session.execute(select(func.sum(BrokerDrop.dropped))).scalar() or 0)


class DropMetrics:
    """`smartcity_mqtt_broker_dropped_messages_total`: what the brokers reported dropping, read
    from the database at each scrape (the ingesters that hear the reports are other processes)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def collect(self) -> Iterator[CounterMetricFamily]:
        dropped = CounterMetricFamily(
            "smartcity_mqtt_broker_dropped_messages",
            "Messages MQTT brokers reported dropping (their queues for ingesters were full)",
            labels=["broker"],
        )
        with self.platform.db.read_session() as session:
            rows = session.execute(
                select(BrokerDrop.broker, func.sum(BrokerDrop.dropped)).group_by(BrokerDrop.broker)
            )
            for broker, total in rows:
                dropped.add_metric([broker], float(total or 0))
        yield dropped
