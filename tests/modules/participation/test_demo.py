"""The demo city has an i-Voting issue at every stage, and its tallied vote verifies."""

from __future__ import annotations

import tomllib
from pathlib import Path

from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.city import SHIPPED, load_city
from smartcity.core.platform import Platform
from smartcity.modules.participation.seed import seed
from smartcity.modules.participation.values import BudgetStage, Stage
from tests.modules.participation.conftest import BELENIOS_TOOL, tool, unpack_archive


def test_the_demo_shows_every_stage_and_a_result_belenios_tool_accepts(
    client: TestClient, platform: Platform, tmp_path: Path
) -> None:
    with platform.unit_of_work(system_actor("demo")) as uow:
        seed(uow, platform)
    issues = client.get("/api/v1/participation/votes").json()
    assert {i["stage"] for i in issues} == set(Stage)
    # The district budgets' votes are votes too; the i-Voting issue is the one followed up.
    done = next(i for i in issues if i["stage"] == "results" and i["follow_up"])
    result = client.get(f"/api/v1/participation/votes/{done['id']}/result").json()
    assert result["result"] == [[3, 2]]
    if BELENIOS_TOOL is not None:
        unpack_archive(client, done["id"], tmp_path)
        verified = tool("election", "verify", "--dir", ".", cwd=tmp_path)
        assert verified.returncode == 0, verified.stderr


def test_the_demo_has_a_district_budget_at_every_stage_with_winners_and_their_progress(
    client: TestClient, platform: Platform
) -> None:
    with platform.unit_of_work(system_actor("demo")) as uow:
        seed(uow, platform)
    budgets = client.get("/api/v1/participation/budgets").json()
    assert {b["stage"] for b in budgets} == set(BudgetStage)
    done = next(b for b in budgets if b["stage"] == "results")
    outcome = [(p["votes"], p["status"], p["progress"]) for p in done["projects"]]
    assert outcome == [(6, "selected", 80), (6, "selected", 100), (3, "not_selected", 0)]
    review = next(b for b in budgets if b["stage"] == "review")
    assert {p["status"] for p in review["projects"]} == {"feasible", "submitted", "infeasible"}
    page = client.get(f"/participation/budgets/{done['id']}")
    assert page.status_code == 200
    assert "完工驗收" in page.text


def test_every_shipped_profiles_demo_budgets_name_its_districts_and_fit_their_rules() -> None:
    for profile in sorted(SHIPPED.iterdir()):
        path = profile / "participation.toml"
        if not path.is_file():
            continue
        city = load_city(profile.name)
        demo = tomllib.loads(path.read_text(encoding="utf-8"))
        assert {b["stage"] for b in demo["budgets"]} == set(BudgetStage), profile.name
        for cycle in demo["budgets"]:
            assert city.district(cycle["district"]) is not None, (profile.name, cycle["district"])
            assert all(p["cost"] <= cycle["budget"] for p in cycle["projects"])
            for marks in cycle.get("ballots", []):
                low, high = cycle["ballot_rule"]
                assert len(marks) == len(cycle["projects"])
                assert low <= sum(marks) <= high
