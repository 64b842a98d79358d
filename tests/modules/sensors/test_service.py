"""The contract other modules rely on (`sensors.service`), on whichever engine the suite runs.

The same tests run on SQLite (`make test`) and PostgreSQL (`make test-postgres`), so they are
the contract suite over both `ObservationStore` implementations.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from smartcity.core.auth import system_actor
from smartcity.core.errors import InvalidInput, NotFound
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.sensors import service
from smartcity.modules.sensors.events import ObservationsStored
from smartcity.modules.sensors.storage import month_bounds, store_for
from tests.modules.sensors.conftest import T0


def _setup(platform: Platform) -> dict[str, int]:
    with platform.unit_of_work(system_actor("test")) as uow:
        ids = {
            "A": service.register_station(
                uow, station_id="A", name="站 A", latitude=25.03, longitude=121.50, kind="airbox"
            ),
            "B": service.register_station(
                uow, station_id="B", name="站 B", latitude=25.05, longitude=121.55, kind="airbox"
            ),
            "REF": service.register_station(
                uow, station_id="REF", name="Reference", latitude=25.04, longitude=121.52
            ),
        }
    return ids


def test_readings_are_aligned_with_nan_gaps(platform: Platform) -> None:
    _setup(platform)
    seen: list[ObservationsStored] = []
    platform.jobs.add_task("test.observations", lambda _platform, event: seen.append(event))
    platform.jobs.subscribe(ObservationsStored, "test.observations")
    with platform.unit_of_work(system_actor("test")) as uow:
        stored = service.record_readings(
            uow,
            "A",
            [
                (T0, {"pm25": 10.0, "temperature": 20.0, "humidity": 70.0}),
                (T0 + timedelta(hours=1), {"pm25": 12.0}),
                (T0 + timedelta(hours=2), {"temperature": 21.0, "pm25": float("nan")}),
            ],
        )
        assert stored == 5
        service.record_readings(uow, "B", [(T0 + timedelta(hours=1), {"pm25": 30.0})])
        # A month later, in another partition on PostgreSQL.
        service.record_readings(uow, "B", [(T0 + timedelta(days=40), {"pm25": 5.0})])
    Worker(platform).run_ready()
    seen.sort(key=lambda event: event.first_time)
    assert [e.count for e in seen] == [5, 1, 1] and seen[0].device_ids == ("A",)
    assert seen[0].first_time == T0 and seen[0].last_time == T0 + timedelta(hours=2)
    with platform.db.read_session() as session:
        series = service.readings(session, T0, T0 + timedelta(days=1))
        assert [s.device_id for s in series] == ["A", "B"]
        a = series[0]
        assert a.times.dtype == np.dtype("datetime64[s]")
        assert list(a.times) == [
            np.datetime64("2024-11-02T00:15:03") + np.timedelta64(h, "h") for h in range(3)
        ]
        np.testing.assert_array_equal(a.values["pm25"], [10.0, 12.0, np.nan])
        np.testing.assert_array_equal(a.values["temperature"], [20.0, np.nan, 21.0])
        assert (a.latitude, a.longitude, a.kind) == (25.03, 121.50, "airbox")
        only_b = service.readings(session, T0, T0 + timedelta(days=60), ("pm25",), ["B"])
        assert list(only_b[0].values["pm25"]) == [30.0, 5.0]
        assert service.readings(session, T0 + timedelta(days=1), T0 + timedelta(days=2)) == []
        with pytest.raises(InvalidInput):
            service.readings(session, T0, T0 + timedelta(days=1), ("pm3",))


def test_idempotent_and_latest_never_goes_back(platform: Platform) -> None:
    _setup(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        assert service.record_readings(uow, "A", [(T0, {"pm25": 10.0})]) == 1
    with platform.unit_of_work(system_actor("test")) as uow:
        assert service.record_readings(uow, "A", [(T0, {"pm25": 99.0})]) == 0
        service.record_readings(uow, "A", [(T0 - timedelta(hours=5), {"pm25": 1.0})])
    with platform.db.read_session() as session:
        (latest,) = [d for d in service.latest(session, ("pm25",)) if d.device_id == "A"]
        assert latest.values == {"pm25": 10.0} and latest.time == T0
    with platform.unit_of_work(system_actor("test")) as uow, pytest.raises(NotFound):
        service.record_readings(uow, "nobody", [(T0, {"pm25": 1.0})])


def test_register_station_is_idempotent_and_moves(platform: Platform) -> None:
    ids = _setup(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        again = service.register_station(
            uow, station_id="REF", name="Reference 2", latitude=25.10, longitude=121.60
        )
    assert again == ids["REF"]
    with platform.unit_of_work(system_actor("test")) as uow:
        service.record_readings(uow, "REF", [(T0, {"pm25": 8.0})])
    with platform.db.read_session() as session:
        (ref,) = [d for d in service.latest(session) if d.device_id == "REF"]
        assert (ref.name, ref.latitude, ref.kind) == ("Reference 2", 25.10, "reference")


def test_datastream_stats_and_online_ratio(platform: Platform) -> None:
    ids = _setup(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        service.record_readings(
            uow,
            "A",
            [
                (T0 + timedelta(minutes=10 * i), {"pm25": float(v)})
                for i, v in enumerate([5, 1, 9, 3])
            ],
        )
    from sqlalchemy import select

    from smartcity.modules.sensors.models import Datastream

    with platform.db.read_session() as session:
        stream = session.execute(
            select(Datastream.id).where(
                Datastream.thing_id == ids["A"], Datastream.quantity == "pm25"
            )
        ).scalar_one()
        stats = service.datastream_stats(session, [stream, 99999], T0, T0 + timedelta(hours=1))
        assert stats[stream] == {
            "count": 4,
            "median": 4.0,
            "mean": 4.5,
            "min": 1.0,
            "max": 9.0,
            "last_time": T0 + timedelta(minutes=30),
        }
        assert stats[99999]["count"] == 0
        # A reported in 4 of 6 ten-minute slots, B in none: (4 + 0) / 12.
        ratio = service.thing_online_ratio(
            session, [ids["A"], ids["B"]], T0, T0 + timedelta(hours=1), 600
        )
        assert ratio == pytest.approx(4 / 12)


def test_store_protocol_counts_new_rows(platform: Platform) -> None:
    ids = _setup(platform)
    from sqlalchemy import select

    from smartcity.modules.sensors.models import Datastream

    with platform.unit_of_work(system_actor("test")) as uow:
        stream = (
            uow.session.execute(select(Datastream.id).where(Datastream.thing_id == ids["B"]))
            .scalars()
            .first()
        )
        store = store_for(uow.session)
        assert store.dialect == platform.db.dialect
        ms = 1_730_000_000_000
        rows = [(stream, ms + i * 1000, float(i)) for i in range(100)]
        assert store.insert_numbers(uow.session, rows) == 100
        assert store.insert_numbers(uow.session, [*rows[:10], (stream, ms - 1, 1.0)]) == 1
        uow.audit("test.rows", "test", 1, {})


def test_month_bounds() -> None:
    suffix, start, end = month_bounds(1_733_011_200_000)  # 2024-12-01T00:00Z
    assert suffix == "202412" and start == 1_733_011_200_000
    assert month_bounds(start - 1)[0] == "202411" and month_bounds(end)[0] == "202501"
