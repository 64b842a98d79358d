"""SensorThings under odd input and a failing database: 400s for the client's mistakes, 503s for
the database's, never a 500 or a poisoned MQTT batch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from smartcity.core import db
from smartcity.core.platform import Platform
from smartcity.modules.sensors.models import DeadLetter
from smartcity.modules.sensors.mqtt import BatchStore
from smartcity.modules.sensors.sta.entities import ENTITIES
from smartcity.modules.sensors.sta.odata import StaError, parse_options
from smartcity.modules.sensors.sta.query import Reader
from tests.modules.sensors.conftest import lass_line

STA = "/sta/v1.1"
HUGE = 10**30
"""Beyond any 64-bit integer."""


@pytest.fixture
def stream(client: TestClient, device_headers: dict[str, str]) -> int:
    """A Datastream of the device key's organisation, with one observation."""
    client.post("/api/v1/sensors/lass", content=lass_line(), headers=device_headers)
    found = client.get(f"{STA}/Datastreams", params={"$top": "1"}).json()["value"]
    return int(found[0]["@iot.id"])


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"$filter": "id eq 99999999999999999999999999"}, "sta_number_out_of_range"),
        ({"$filter": "id eq 9223372036854775808"}, "sta_number_out_of_range"),
        ({"$filter": "result lt 1e999"}, "sta_number_out_of_range"),
        ({"$filter": "id eq ١٢"}, "sta_invalid_expression"),
        ({"$top": "²"}, "sta_invalid_top"),
        ({"$skip": "١"}, "sta_invalid_skip"),
    ],
)
def test_numbers_a_database_cannot_hold_are_400(
    client: TestClient, stream: int, query: dict[str, str], code: str
) -> None:
    response = client.get(f"{STA}/Observations", params=query)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_the_largest_integer_is_still_a_number(client: TestClient, stream: int) -> None:
    response = client.get(f"{STA}/Things", params={"$filter": "id lt 9223372036854775807"})
    assert response.status_code == 200 and len(response.json()["value"]) == 1


def test_ids_in_paths_are_ascii_digits(client: TestClient, stream: int) -> None:
    response = client.get(f"{STA}/Datastreams('²')")
    assert response.status_code == 404 and response.json()["code"] == "sta_not_found"


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("Observations", {"result": 1, "Datastream": {"@iot.id": HUGE}}, "sta_number_out_of_range"),
        ("Observations", {"result": 1, "Datastream": {"@iot.id": "²"}}, "sta_invalid_value"),
        (
            "Observations",
            {"result": 1, "Datastream": {"@iot.id": str(HUGE)}},
            "sta_number_out_of_range",
        ),
        ("Datastreams({stream})/Observations", {"result": 10**400}, "sta_number_out_of_range"),
        (
            "Locations",
            {
                "name": "x",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [10**400, 25]},
            },
            "sta_number_out_of_range",
        ),
    ],
)
def test_bodies_with_numbers_out_of_range_are_400(
    client: TestClient,
    device_headers: dict[str, str],
    stream: int,
    path: str,
    body: dict[str, Any],
    code: str,
) -> None:
    response = client.post(f"{STA}/{path.format(stream=stream)}", json=body, headers=device_headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code


def test_a_lass_line_with_unusual_digits_is_kept_as_a_dead_letter(
    client: TestClient, device_headers: dict[str, str]
) -> None:
    body = lass_line(time="0²:15:03")
    response = client.post("/api/v1/sensors/lass", content=body, headers=device_headers)
    assert response.status_code == 200, response.text
    assert response.json()["refused"] == 1 and response.json()["stored"] == 0


def test_an_mqtt_create_with_a_huge_number_is_a_dead_letter_not_a_stuck_batch(
    platform: Platform, stream: int
) -> None:
    topic = f"v1.1/Datastreams({stream})/Observations"
    payload = f'{{"phenomenonTime": "2024-11-02T03:00:00Z", "result": {HUGE}}}'.encode()
    store = BatchStore(platform, base="http://testserver/sta/v1.1", notify=False)
    assert store.store([(topic, payload)], give_up=lambda: True) is not None
    with platform.db.read_session() as session:
        letter = session.execute(select(DeadLetter)).scalar_one()
    assert letter.topic == topic and "out of range" in letter.reason


_ATOMS = st.sampled_from(
    [
        "id",
        "result",
        "name",
        "phenomenonTime",
        "properties/owner",
        "Datastream/Thing/id",
        "eq",
        "gt",
        "add",
        "mul",
        "div",
        "mod",
        "and",
        "not",
        "-",
        "(",
        ")",
        ",",
        "round(",
        "substring(",
        "'x'",
        "1",
        "0.5",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999999999",
        "1e308",
        "1e999",
        "²",
        "١٢",
        "２",
        "2024-11-02T00:00:00Z",
    ]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.lists(_ATOMS, min_size=1, max_size=10).map(" ".join),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    ),
    st.sampled_from(["Things", "Observations", "Datastreams"]),
)
def test_the_odata_parser_and_compiler_raise_only_sta_errors(
    platform: Platform, stream: int, expression: str, entity: str
) -> None:
    with platform.db.read_session() as session:
        reader = Reader(session, "http://testserver/sta/v1.1", 10, 100)
        for option in ("$filter", "$orderby", "$top", "$skip"):
            try:
                options = parse_options({option: expression}, max_top=100, max_depth=4)
                reader.collection(ENTITIES[entity], None, options, "http://testserver", {})
            except StaError:
                pass  # a 400 problem with its code: the only failure allowed


@pytest.fixture
def failing_reads(platform: Platform) -> Iterator[None]:
    """The database fails every read of Things from now on, as a server going away does."""

    def fail(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM sensors_things" in statement:
            raise OperationalError(statement, {}, ConnectionError("server closed the connection"))

    event.listen(platform.db.engine, "before_cursor_execute", fail)
    yield
    event.remove(platform.db.engine, "before_cursor_execute", fail)


def test_a_database_failure_during_a_read_is_503_to_retry(
    client: TestClient, stream: int, failing_reads: None
) -> None:
    response = client.get(f"{STA}/Things", params={"$filter": "name eq 'x'"})
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "1"


@pytest.mark.postgres
def test_a_read_on_a_connection_the_server_dropped_is_503(
    client: TestClient, platform: Platform, stream: int
) -> None:
    engine = platform.db.engine
    pooled = [engine.connect() for _ in range(engine.pool.checkedin())]
    pids = [c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in pooled]
    for connection in pooled:
        connection.close()
    admin = db.create_db_engine(platform.db.url)
    with admin.begin() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    lost = client.get(f"{STA}/Things", params={"$filter": "name eq 'x'"})
    assert lost.status_code == 503, lost.text
    assert lost.json()["code"] == "database_unavailable"
    assert client.get(f"{STA}/Things").status_code == 200
