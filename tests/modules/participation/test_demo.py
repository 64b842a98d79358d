"""The demo city has an i-Voting issue at every stage, and its tallied vote verifies."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.participation.seed import seed
from smartcity.modules.participation.values import Stage
from tests.modules.participation.conftest import BELENIOS_TOOL, tool, unpack_archive


def test_the_demo_shows_every_stage_and_a_result_belenios_tool_accepts(
    client: TestClient, platform: Platform, tmp_path: Path
) -> None:
    with platform.unit_of_work(system_actor("demo")) as uow:
        seed(uow, platform)
    issues = client.get("/api/v1/participation/votes").json()
    assert {i["stage"] for i in issues} == set(Stage)
    done = next(i for i in issues if i["stage"] == "results")
    assert done["follow_up"]
    result = client.get(f"/api/v1/participation/votes/{done['id']}/result").json()
    assert result["result"] == [[3, 2]]
    if BELENIOS_TOOL is not None:
        unpack_archive(client, done["id"], tmp_path)
        verified = tool("election", "verify", "--dir", ".", cwd=tmp_path)
        assert verified.returncode == 0, verified.stderr
