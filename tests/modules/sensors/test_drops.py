"""The drop alarm reads Mosquitto's decaying drop load back into counts of dropped messages."""

from __future__ import annotations

import math

from smartcity.modules.sensors.drops import DROP_LOAD_TOPIC, UPTIME_TOPIC, Drop, DropWatch


def load_after(previous: float, dropped: int, interval_s: float) -> float:
    """What mosquitto publishes after `dropped` messages in one interval (its `calc_load`)."""
    decay = math.exp(-interval_s / 60)
    return decay * previous + (1 - decay) * dropped * 60 / interval_s


def test_a_rise_of_the_load_is_counted_back_into_messages() -> None:
    watch = DropWatch()
    assert watch.heard(UPTIME_TOPIC, b"100 seconds") is None
    assert watch.heard(UPTIME_TOPIC, b"110 seconds") is None  # the broker reports every 10 s
    assert watch.heard(DROP_LOAD_TOPIC, b"3.20") is None  # what this process found: a baseline
    risen = load_after(3.20, 2316, 10)
    drop = watch.heard(DROP_LOAD_TOPIC, f"{risen:.2f}".encode())
    assert drop == Drop(2316, f"{risen:.2f}")


def test_a_decaying_load_is_no_alarm() -> None:
    watch = DropWatch()
    load = 1902.55
    assert watch.heard(DROP_LOAD_TOPIC, f"{load:.2f}".encode()) is None
    for _ in range(30):
        load = load_after(load, 0, 10)
        assert watch.heard(DROP_LOAD_TOPIC, f"{load:.2f}".encode()) is None


def test_the_interval_is_the_brokers() -> None:
    watch = DropWatch()
    watch.heard(UPTIME_TOPIC, b"7 seconds")
    watch.heard(UPTIME_TOPIC, b"8 seconds")  # sys_interval 1
    watch.heard(DROP_LOAD_TOPIC, b"0.00")
    drop = watch.heard(DROP_LOAD_TOPIC, f"{load_after(0.0, 2000, 1):.2f}".encode())
    assert drop is not None and drop.dropped == 2000


def test_unreadable_reports_are_ignored() -> None:
    watch = DropWatch()
    assert watch.heard(DROP_LOAD_TOPIC, b"") is None
    assert watch.heard(DROP_LOAD_TOPIC, b"lots") is None
    assert watch.heard("$SYS/broker/version", b"mosquitto version 2.0.11") is None
