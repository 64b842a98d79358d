"""Simulated bay sensors: arrivals, stays, heartbeats and faults as LoRaWAN uplinks, and the
plates wardens and cameras see.

Each bay's sensor publishes ChirpStack v4 uplinks in its model's byte layout: a status frame
when a vehicle arrives or leaves, a heartbeat (battery, temperature, health) every so often,
and now and then a fault. A few simulated minutes after most arrivals a sighting names the
vehicle's plate (a share of them the demo citizens' bound plates), so stays get fees; the
rest leave unsighted, as on a real street. Arrivals come more often in the city's daytime;
stays are longer at night and differ by district. `speed` compresses the simulated clock:
at 60, an hour's turnover takes a minute. Uplinks carry the real time they are sent.
"""

from __future__ import annotations

import base64
import heapq
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from smartcity.core.time import city_zone

NWAVE = "nwave-nps405"


def uplink(dev_eui: str, at: datetime, port: int, data: bytes, frame: int) -> tuple[str, bytes]:
    """A ChirpStack v4 uplink event: (topic, JSON)."""
    body = {
        "deduplicationId": f"{dev_eui}-{frame}-{int(at.timestamp() * 1000)}",
        "time": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "deviceInfo": {"devEui": dev_eui, "applicationName": "smartcity-simulator"},
        "fCnt": frame,
        "fPort": port,
        "data": base64.b64encode(data).decode(),
    }
    return f"application/simulator/device/{dev_eui}/event/up", json.dumps(body).encode()


def status_frame(model: str, occupied: bool) -> bytes:
    """A status frame (port 1) in the model's layout."""
    if model == NWAVE:
        return bytes([0x80 if occupied else 0x00])
    return bytes([0x01 if occupied else 0x00])


def heartbeat_frame(model: str, occupied: bool, volts: float, celsius: float, health: int) -> bytes:
    """A heartbeat (port 2) in the model's layout."""
    if model == NWAVE:
        step = max(0, min(255, round((volts * 1000 - 2500) / 4)))
        half_degrees = max(-128, min(127, round((celsius - 10) * 2))) & 0xFF
        return bytes([(0x80 if occupied else 0) | (health & 0x7F), step, half_degrees])
    return bytes([0x01 if occupied else 0x00, max(-128, min(127, round(celsius))) & 0xFF])


@dataclass
class SimulatedBay:
    """One sensor's state."""

    dev_eui: str
    model: str
    district: str
    occupied: bool = False
    announced: bool = False
    frame: int = 0
    volts: float = 3.6
    health: int = 0
    code: str = ""
    """The bay's code, which sightings name."""
    plate: str | None = None
    """The plate of the vehicle parked now, once a sighting is due."""


Sighting = tuple[str, str, datetime]
"""A plate seen in a bay: (bay code, plate, seen at)."""


@dataclass
class BaySimulator:
    """Drives bays on a simulated clock `speed` times faster than the real one."""

    bays: Sequence[SimulatedBay]
    speed: float = 60.0
    heartbeat_minutes: float = 60.0
    fault_rate: float = 0.002
    """The chance that a heartbeat reports a hardware fault (cleared at the next)."""
    plates: Sequence[str] = ()
    """Plates bound to citizens, which `bound_share` of the sighted vehicles carry."""
    bound_share: float = 0.2
    sighting_rate: float = 0.9
    """The chance a vehicle's plate is seen while it is parked."""
    seed: int = 17
    rng: random.Random = field(init=False)
    district_factor: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311  # simulated traffic, not a secret
        districts = sorted({bay.district for bay in self.bays})
        # Some districts' visitors stay longer (offices) than others' (shops).
        self.district_factor = {d: self.rng.uniform(0.6, 1.6) for d in districts}

    def _minutes_until_change(self, bay: SimulatedBay, now: datetime) -> float:
        hour = now.astimezone(city_zone()).hour
        daytime = 8 <= hour < 20
        if bay.occupied:  # how long this stay lasts: log-normal around 40 min by day, 2 h by night
            typical = (40.0 if daytime else 120.0) * self.district_factor[bay.district]
            return self.rng.lognormvariate(math.log(typical), 0.6)
        # how long until the next car comes: busier by day
        return self.rng.expovariate(1 / (8.0 if daytime else 45.0))

    def _plate(self) -> str:
        if self.plates and self.rng.random() < self.bound_share:
            return self.rng.choice(list(self.plates))
        letters = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))
        return f"{letters}-{self.rng.randint(0, 9999):04d}"

    def run(
        self,
        send: Callable[[list[tuple[str, bytes]]], None],
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        now: Callable[[], datetime],
        seconds: float,
        sight: Callable[[list[Sighting]], None] | None = None,
    ) -> int:
        """Send uplinks (and, with `sight`, plates seen) for `seconds` of real time; how many
        uplinks were sent."""
        start = clock()
        queue: list[tuple[float, int, str]] = []
        for index, bay in enumerate(self.bays):
            bay.occupied = self.rng.random() < 0.6
            heapq.heappush(queue, (start + self.rng.uniform(0, 5), index, "status"))
            first_beat = self.rng.uniform(0, self.heartbeat_minutes) * 60 / self.speed
            heapq.heappush(queue, (start + first_beat, index, "heartbeat"))
        sent = 0
        while queue and clock() - start < seconds:
            due = queue[0][0]
            if due > clock():
                sleep(min(due - clock(), 0.5))
                continue
            batch: list[tuple[str, bytes]] = []
            seen: list[Sighting] = []
            moment = now()
            while queue and queue[0][0] <= clock() and len(batch) < 1000:
                _due, index, kind = heapq.heappop(queue)
                bay = self.bays[index]
                if kind == "sighting":
                    if bay.occupied and bay.plate:  # still there: a warden or camera sees it
                        seen.append((bay.code, bay.plate, moment))
                    bay.plate = None
                    continue
                bay.frame += 1
                if kind == "status":
                    arrived = bay.announced and not bay.occupied
                    if bay.announced:  # a car came or went; the first frame says what is there
                        bay.occupied = not bay.occupied
                    bay.announced = True
                    bay.plate = None
                    if arrived and sight and bay.code and self.rng.random() < self.sighting_rate:
                        bay.plate = self._plate()
                        look = self.rng.uniform(2, 15) * 60 / self.speed
                        heapq.heappush(queue, (clock() + look, index, "sighting"))
                    frame = status_frame(bay.model, bay.occupied)
                    batch.append(uplink(bay.dev_eui, moment, 1, frame, bay.frame))
                    wait = self._minutes_until_change(bay, moment) * 60 / self.speed
                    heapq.heappush(queue, (clock() + wait, index, "status"))
                else:
                    bay.volts = max(2.8, bay.volts - self.rng.uniform(0, 0.002))
                    bay.health = (
                        self.rng.randint(1, 7) if self.rng.random() < self.fault_rate else 0
                    )
                    frame = heartbeat_frame(
                        bay.model, bay.occupied, bay.volts, self.rng.uniform(15, 35), bay.health
                    )
                    batch.append(uplink(bay.dev_eui, moment, 2, frame, bay.frame))
                    wait = self.heartbeat_minutes * 60 / self.speed
                    heapq.heappush(queue, (clock() + wait, index, "heartbeat"))
            if batch:
                send(batch)
                sent += len(batch)
            if seen and sight:
                sight(seen)
        return sent
