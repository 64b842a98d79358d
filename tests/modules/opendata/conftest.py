"""opendata test helpers: a catalogue over the fee items, and publishers' keys."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import insert

from smartcity.app import create_app
from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.modules.opendata import service
from smartcity.modules.payments.catalogue import catalogue as fee_items
from smartcity.modules.payments.models import Item
from tests.conftest import Actors


@pytest.fixture
def with_catalogue(platform: Platform) -> None:
    """The demo's fee items in payments, and the catalogue refreshed over them."""
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(insert(Item), fee_items())
        uow.audit("payments.catalogue.loaded", "catalogue", "test", {})
    service.refresh_catalogue(platform)


@pytest.fixture
def dot_officer(actors: Actors) -> str:
    """An API key of the Department of Transportation (an officer's office)."""
    return actors.token(Role.OFFICER, "DOT")


@pytest.fixture
def dof_officer(actors: Actors) -> str:
    """An API key of the Department of Finance."""
    return actors.token(Role.OFFICER, "DOF")


def call(client: TestClient, action: str, key: str | None = None, /, **params: Any) -> Any:
    """POST an action as ckanapi does (JSON body, the key bare in Authorization)."""
    headers = {"Authorization": key} if key else {}
    return client.post(f"/api/3/action/{action}", json=params, headers=headers)


def result(client: TestClient, action: str, key: str | None = None, /, **params: Any) -> Any:
    """An action's result, asserting CKAN's success envelope."""
    response = call(client, action, key, **params)
    body = response.json()
    assert response.status_code == 200, body
    assert body["success"] is True
    assert body["help"].endswith(f"help_show?name={action}")
    return body["result"]


def package(name: str, org: str = "dot", **fields: Any) -> dict[str, Any]:
    """A package_create body."""
    return {"name": name, "title": f"標題 {name}", "owner_org": org, **fields}


@contextmanager
def serve(platform: Platform) -> Iterator[str]:
    """`platform` served by uvicorn on a free loopback port, in a thread; its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform=platform), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
