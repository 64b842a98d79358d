"""The staff page shows the hub's figures, latest readings and refused messages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from tests.modules.sensors.conftest import lass_line


def test_staff_page_lists_dead_letters(
    client: TestClient, platform: Platform, device_headers: dict[str, str]
) -> None:
    from smartcity.modules.identity import service

    body = "\n".join([lass_line(), "|device_id=Z|date=2024-11-02|s_d0=1|"])
    client.post("/api/v1/sensors/lass", content=body, headers=device_headers)
    from smartcity.modules.identity.values import OrganisationKind

    with platform.unit_of_work(system_actor("test")) as uow:
        service.ensure_organisation(uow, "DEP", OrganisationKind.DEPARTMENT)
        officer = service.create_staff(
            uow, role=Role.OFFICER, name="o", email="o@test.invalid", department_code="DEP"
        )
        token, _row = service.open_session(uow.session, officer, kind="portal", scope="*", hours=1)
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/staff/sensors")
    assert page.status_code == 200
    assert "missing date and time" in page.text and "74DA38AF1234" in page.text
    assert "退回訊息" in page.text


def test_staff_page_shows_the_brokers_drop_alarms(client: TestClient, platform: Platform) -> None:
    from smartcity.modules.identity import service
    from smartcity.modules.identity.values import OrganisationKind
    from smartcity.modules.sensors.drops import Drop, record_drop

    with platform.unit_of_work(system_actor("sensors-mqtt")) as uow:
        assert record_drop(uow, "mqtt://broker.test:1883", Drop(2316, "12201.44"))
    with platform.unit_of_work(system_actor("sensors-mqtt")) as uow:
        # A second ingester that heard the same report keeps nothing more.
        assert not record_drop(uow, "mqtt://broker.test:1883", Drop(2316, "12201.44"))
    with platform.unit_of_work(system_actor("test")) as uow:
        service.ensure_organisation(uow, "DEP", OrganisationKind.DEPARTMENT)
        officer = service.create_staff(
            uow, role=Role.OFFICER, name="o", email="o@test.invalid", department_code="DEP"
        )
        token, _row = service.open_session(uow.session, officer, kind="portal", scope="*", hours=1)
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/staff/sensors")
    assert page.status_code == 200
    assert "訊息代理丟棄的訊息 (2316)" in page.text
    assert "mqtt://broker.test:1883" in page.text and "已遺失" in page.text


def test_metrics_count_what_the_brokers_dropped(client: TestClient, platform: Platform) -> None:
    from smartcity.modules.sensors.drops import Drop, record_drop

    name = "smartcity_mqtt_broker_dropped_messages_total"
    assert f"{name}{{" not in client.get("/metrics").text
    with platform.unit_of_work(system_actor("sensors-mqtt")) as uow:
        record_drop(uow, "mqtt://broker.test:1883", Drop(2316, "12201.44"))
    with platform.unit_of_work(system_actor("sensors-mqtt")) as uow:
        record_drop(uow, "mqtt://broker.test:1883", Drop(84, "12290.10"))
    text = client.get("/metrics").text
    assert f'{name}{{broker="mqtt://broker.test:1883"}} 2400.0' in text
