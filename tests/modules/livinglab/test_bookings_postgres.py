"""Double-booking under concurrency: the unique key (field, day, slot) decides."""

from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest

from smartcity.core.errors import Conflict
from smartcity.core.platform import Platform
from smartcity.modules.livinglab import service
from smartcity.modules.livinglab.access import caller_for
from smartcity.modules.livinglab.settings import LivinglabSettings
from tests.modules.livinglab.conftest import Lab
from tests.modules.livinglab.test_state_machine import CALLERS


def _race(platform: Platform, field_id: uuid.UUID, pilots: list[uuid.UUID]) -> list[str]:
    results: list[str] = []
    gate = threading.Barrier(len(pilots))

    def book(pilot_id: uuid.UUID) -> None:
        gate.wait()
        try:
            with platform.unit_of_work(CALLERS["host"]) as uow:
                caller = caller_for(uow.session, CALLERS["host"], LivinglabSettings())
                service.book_field(
                    uow, caller, pilot_id, field_id, date(2031, 5, 1), date(2031, 5, 20)
                )
            results.append("booked")
        except Conflict as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=book, args=(p,)) for p in pilots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _setup(lab: Lab, count: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    pilots = [uuid.UUID(lab.pilot("agreed")) for _ in range(count)]
    field = lab.ok(lab.post("/fields", lab.dot, {"name": "民生東路", "kind": "road"}), 201)["id"]
    return uuid.UUID(field), pilots


@pytest.mark.postgres
def test_racing_bookings_book_a_field_once_on_postgresql(lab: Lab) -> None:
    field, pilots = _setup(lab, 6)
    results = _race(lab.platform, field, pilots)
    assert results.count("booked") == 1
    assert sorted(set(results) - {"booked"}) == ["field_already_booked"]


def test_racing_bookings_book_a_field_once(lab: Lab) -> None:
    field, pilots = _setup(lab, 4)
    results = _race(lab.platform, field, pilots)
    assert results.count("booked") == 1
