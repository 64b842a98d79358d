"""schemathesis over /openapi.json: no generated request, valid or not, gets a 5xx.

Runs in CI through `make test-api` (marker `fuzz`), bounded by examples per operation.
Requests carry an administrator's token, so the handlers behind authorisation are reached.
"""

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
from tests.support.fuzz import call_and_check

pytestmark = pytest.mark.fuzz
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'fuzz.db'}"
    platform = build_platform(
        Settings(database_url=url, data_dir=folder, environment="test", log_requests=False),
        keys=KeyRing.ephemeral(),
    )
    upgrade(platform.db.engine, platform.modules)
    actors = Actors(platform)
    STATE["token"] = actors.token(Role.ADMIN)
    actors.citizen()
    app = create_app(platform=platform)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    platform.db.dispose()


def _check(case: Any) -> None:
    call_and_check(case, STATE["token"], STATE)


def test_no_server_errors(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []
    for operation in operations:
        # Valid and deliberately invalid requests, each a bounded hypothesis run.
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(
                max_examples=40,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(given(case=operation.as_strategy(generation_mode=mode))(_check))
            try:
                run()
            except Unsatisfiable:
                # An operation with no parameters and no body has no invalid form.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as error:  # every operation is tried; all are reported
                failures.append(f"{operation.label} ({mode.value}): {error}"[:2000])
    assert STATE["calls"] > 500
    assert not failures, "\n\n".join(failures)
