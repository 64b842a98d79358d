"""schemathesis over livinglab's operations, as each role that can reach the handlers:
no generated request gets a 5xx, and every 4xx is problem+json with a code.
(The platform-wide run in tests/api stops at the first failure of any module.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from smartcity.app import build_platform, create_app
from smartcity.core.auth import Role
from smartcity.core.keys import KeyRing
from smartcity.core.migrate import upgrade
from smartcity.core.settings import Settings
from tests.conftest import Actors
from tests.modules.livinglab.conftest import verified_citizen
from tests.support.fuzz import call_and_check

pytestmark = pytest.mark.fuzz
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def lab_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder: Path = tmp_path_factory.mktemp("lab-fuzz")
    platform = build_platform(
        Settings(
            database_url=f"sqlite:///{folder / 'fuzz.db'}",
            data_dir=folder,
            environment="test",
            log_requests=False,
        ),
        keys=KeyRing.ephemeral(),
    )
    upgrade(platform.db.engine, platform.modules)
    actors = Actors(platform)
    STATE["tokens"] = {
        "admin": actors.token(Role.ADMIN),
        "office": actors.token(Role.OFFICER, "SCPMO"),
        "vendor": actors.token(Role.VENDOR, "V-FUZZ"),
        "citizen": verified_citizen(platform, actors),
    }
    app = create_app(platform=platform)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    platform.db.dispose()


def _checker(token: str) -> Any:
    def check(case: Any) -> None:
        call_and_check(case, token, STATE)

    return check


def test_livinglab_operations_never_fail_on_the_server(lab_schema: Any) -> None:
    operations = [
        result.ok()
        for result in lab_schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/livinglab")
    ]
    assert len(operations) > 40
    for operation in operations:
        for role, token in STATE["tokens"].items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run = settings(
                    max_examples=8,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )(given(case=operation.as_strategy(generation_mode=mode))(_checker(token)))
                try:
                    run()
                except Unsatisfiable:
                    assert mode is GenerationMode.NEGATIVE, (operation.label, role)
    assert STATE["calls"] > 1000
