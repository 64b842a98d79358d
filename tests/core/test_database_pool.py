"""Pooled server connections: pinged only after sitting idle, replaced when the server
dropped them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from smartcity.core import db
from smartcity.core.platform import Platform


@pytest.mark.postgres
def test_a_dropped_idle_connection_is_replaced(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = platform.db.engine
    with engine.connect() as connection:
        dropped = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    # Back in the pool, its backend ends (as when the server restarts).
    admin = db.create_db_engine(platform.db.url)
    with admin.begin() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    admin.dispose()

    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != dropped


@pytest.mark.postgres
def test_only_an_idle_connection_is_pinged(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = platform.db.engine
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []  # each checkout came straight after the last use

    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert len(pings) == 1


@pytest.mark.postgres
def test_a_request_on_a_connection_lost_mid_use_gets_503_and_the_next_succeeds(
    client: TestClient, platform: Platform
) -> None:
    assert client.get("/api/v1/payments/items").status_code == 200
    # Every backend of the app's pool ends while checked in, and the pool does not ping.
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

    lost = client.get("/api/v1/payments/items")
    assert lost.status_code == 503
    assert lost.headers["content-type"].startswith("application/problem+json")
    assert lost.json()["code"] == "database_unavailable"
    assert lost.headers["retry-after"] == "1"
    assert client.get("/api/v1/payments/items").status_code == 200
