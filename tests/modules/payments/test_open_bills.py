"""`open_bills_of_citizen`: a citizen's bills still to pay, for another module to show."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.payments import service
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Item
from tests.conftest import Actors


def test_only_open_bills_soonest_due_first(platform: Platform, actors: Actors) -> None:
    citizen, _ = actors.citizen()
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(insert(Item), catalogue())
        made = [
            service.issue_bill(
                uow,
                service.settings_of(platform),
                item_code="TWD-FEE01",
                amount=amount,
                due_date=local_today() + timedelta(days=days),
                payer={"citizen_id": citizen},
            )
            for amount, days in ((100, 30), (200, 10), (300, 20))
        ]
        service.cancel_bill(uow, made[2].id, "issued by mistake")
    with platform.db.read_session() as session:
        bills = service.open_bills_of_citizen(session, uuid.UUID(citizen))
    assert [(b.amount, b.bill_id) for b in bills] == [(200, made[1].id), (100, made[0].id)]
    assert bills[0].pay_path == f"/me/payments/bills/{made[1].id}" and bills[0].plate is None
