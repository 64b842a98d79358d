"""KPIs, citizens' feedback, the evaluation, barriers, the dashboard and open data."""

from __future__ import annotations

import csv
import io
import re

import pytest

from smartcity.core.auth import Role, system_actor
from smartcity.modules.identity import service as identity
from tests.conftest import bearer
from tests.modules.livinglab.conftest import API, Lab, verified_citizen


def test_verified_citizens_give_feedback_once_while_it_runs(lab: Lab) -> None:
    pilot = lab.pilot("running")
    verified = verified_citizen(lab.platform, lab.actors)
    _user, basic = lab.actors.citizen()
    body = {"rating": 5, "would_use": True, "comment": "很方便，找車位快多了"}
    refused = lab.post(f"/pilots/{pilot}/feedback", basic, body)
    assert refused.status_code == 403 and refused.json()["code"] == "verification_required"
    summary = lab.ok(lab.post(f"/pilots/{pilot}/feedback", verified, body), 201)
    assert summary["count"] == 1 and summary["average_rating"] == 5.0
    again = lab.post(f"/pilots/{pilot}/feedback", verified, body)
    assert again.status_code == 409 and again.json()["code"] == "feedback_exists"
    public = lab.ok(lab.get(f"/pilots/{pilot}/feedback"))
    assert public["ratings"]["5"] == 1 and public["would_use"] == 1
    assert public["comments"] == ["很方便，找車位快多了"] and public["votes"] is None
    early = lab.pilot("matched")
    closed = lab.post(f"/pilots/{early}/feedback", verified, body)
    assert closed.status_code == 409 and closed.json()["code"] == "feedback_closed"


def test_the_vote_hook_adds_counts(lab: Lab) -> None:
    pilot = lab.pilot("running")
    lab.platform.services["livinglab.votes"] = lambda pilot_id: {"yes": 12, "no": 3}
    assert lab.ok(lab.get(f"/pilots/{pilot}/feedback"))["votes"] == {"yes": 12, "no": 3}


def test_experts_and_the_host_score_the_opportunity(lab: Lab) -> None:
    pilot = lab.pilot("evaluating")
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        expert = identity.create_staff(
            uow,
            role=Role.OFFICER,
            name="外部專家",
            email="expert@test.invalid",
            department_code="SCPMO",
            staff_roles=["expert"],
        )
        outsider = identity.create_staff(
            uow, role=Role.OFFICER, name="他局", email="o@test.invalid", department_code="DOE"
        )
        expert_token = identity.issue_api_key(uow, role=Role.OFFICER, label="t", user=expert).token
        outsider_token = identity.issue_api_key(
            uow, role=Role.OFFICER, label="t", user=outsider
        ).token
    lab.ok(lab.post(f"/pilots/{pilot}/scores", lab.dot, {"criterion": "cost", "score": 3}))
    lab.ok(lab.post(f"/pilots/{pilot}/scores", expert_token, {"criterion": "cost", "score": 5}))
    denied = lab.post(f"/pilots/{pilot}/scores", outsider_token, {"criterion": "cost", "score": 1})
    assert denied.status_code == 403
    # Scoring again replaces the scorer's own score.
    result = lab.ok(lab.post(f"/pilots/{pilot}/scores", lab.dot, {"criterion": "cost", "score": 4}))
    assert result["averages"] == {"cost": 4.5}
    assert sorted(s["by"] for s in result["scores"]) == ["expert", "officer"]
    lab.ok(
        lab.post(
            f"/pilots/{pilot}/transitions",
            lab.office,
            {"to": "procured", "reference": "採購案號 LL115-00042", "reason": "成效達標"},
        )
    )
    evaluation = lab.ok(lab.get(f"/pilots/{pilot}/evaluation"))
    assert (
        evaluation["decision"] == "procured" and evaluation["reference"] == "採購案號 LL115-00042"
    )
    late = lab.post(f"/pilots/{pilot}/scores", lab.dot, {"criterion": "cost", "score": 1})
    assert late.status_code == 409 and late.json()["code"] == "not_evaluating"


def test_kpis_show_values_and_whether_they_meet_the_target(lab: Lab) -> None:
    pilot = lab.pilot("running")
    kpi = lab.ok(
        lab.post(
            f"/pilots/{pilot}/kpis",
            lab.vendor,
            {
                "name": "等候時間",
                "unit": "分鐘",
                "baseline": 40,
                "target": 15,
                "direction": "lower",
            },
        ),
        201,
    )["id"]
    for value in (30, 18, 14):
        lab.ok(lab.post(f"/kpis/{kpi}/measurements", lab.dot, {"value": value}), 201)
    (row,) = lab.ok(lab.get(f"/pilots/{pilot}/kpis"))
    assert row["current"] == 14 and row["met"] is True
    svg = lab.client.get(f"{API}/pilots/{pilot}/kpis/{kpi}/chart.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and svg.text.count("<circle") == 3 and "目標" in svg.text
    page = lab.client.get(f"/livinglab/pilots/{pilot}")
    assert page.status_code == 200 and "<svg" in page.text and "等候時間" in page.text


def test_barriers_register(lab: Lab) -> None:
    pilot = lab.pilot("running")
    body = {
        "pilot_id": pilot,
        "law": "道路交通管理處罰條例",
        "article": "第 21 條",
        "blocks": "無駕駛人之自駕車不得載客",
        "workaround": "配置安全駕駛員",
        "amendment": "增訂自駕車專章",
    }
    barrier = lab.ok(lab.post("/barriers", lab.dot, body), 201)["id"]
    assert lab.post("/barriers", lab.doe, body).status_code == 403
    lab.ok(lab.patch(f"/barriers/{barrier}", lab.office, {"status": "under_review"}))
    assert lab.patch(f"/barriers/{barrier}", lab.doe, {"status": "amended"}).status_code == 403
    (row,) = lab.ok(lab.get(f"/barriers?pilot_id={pilot}"))
    assert row["status"] == "under_review" and row["department"] == "DOT"
    assert "道路交通管理處罰條例" in lab.client.get("/livinglab/barriers").text


def test_dashboard_and_open_data(lab: Lab) -> None:
    adopted = lab.pilot("evaluating")
    lab.ok(
        lab.post(f"/pilots/{adopted}/scores", lab.dot, {"criterion": "effectiveness", "score": 5})
    )
    lab.ok(
        lab.post(
            f"/pilots/{adopted}/transitions", lab.dot, {"to": "adopted", "reference": "府令 1"}
        )
    )
    withdrawn = lab.pilot("matched")
    lab.ok(lab.post(f"/pilots/{withdrawn}/transitions", lab.vendor, {"to": "withdrawn"}))
    lab.pilot("screening")
    figures = lab.ok(lab.get("/dashboard"))
    assert figures["total"] == 3 and figures["published"] == 2
    assert figures["by_state"]["adopted"] == 1 and figures["by_domain"] == {"transport": 3}
    assert figures["concluded"] == 2 and figures["completed"] == 1
    assert figures["completion_rate"] == 0.5 and figures["adoption_rate"] == 1.0
    assert set(figures["days_in_state"]) >= {"proposed", "screening", "running"}
    rows = lab.ok(lab.get("/open-data/pilots.json"))
    assert {r["id"] for r in rows} == {adopted, withdrawn}
    text = lab.client.get(f"{API}/open-data/pilots.csv").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert {r["id"] for r in table} == {adopted, withdrawn}
    assert next(r for r in table if r["id"] == adopted)["decision_reference"] == "府令 1"
    page = lab.client.get("/livinglab")
    assert page.status_code == 200 and "<svg" in page.text
    english = lab.client.get("/livinglab", headers={"accept-language": "en"})
    assert "Completion rate" in english.text
    assert "完成率" in lab.client.get("/livinglab").text


def test_suggestions_for_a_bottom_up_proposal(lab: Lab) -> None:
    challenge = lab.challenge()
    field = lab.ok(
        lab.post(
            "/fields", lab.dot, {"name": "民生東路", "kind": "road", "domains": ["transport"]}
        ),
        201,
    )["id"]
    proposal = lab.proposal(field_kinds=["road"])
    rows = lab.ok(lab.get(f"/proposals/{proposal}/suggestions", lab.office))
    kinds = {r["kind"] for r in rows}
    assert kinds == {"challenge", "department", "field"}
    assert next(r for r in rows if r["kind"] == "challenge")["id"] == challenge
    assert next(r for r in rows if r["kind"] == "field")["id"] == field
    assert all(r["reasons"] for r in rows)
    assert (
        lab.client.get(
            f"{API}/proposals/{proposal}/suggestions", headers=bearer(lab.vendor)
        ).status_code
        == 403
    )


def test_the_dashboard_lists_pilots_a_page_at_a_time(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartcity.modules.livinglab import pages

    monkeypatch.setattr(pages, "DASHBOARD_PAGE", 1)
    shown = set()
    for pilot in (lab.pilot("matched"), lab.pilot("matched")):
        lab.ok(lab.post(f"/pilots/{pilot}/transitions", lab.vendor, {"to": "withdrawn"}))
        shown.add(pilot)
    first = lab.client.get("/livinglab?domain=transport")
    second = lab.client.get("/livinglab?domain=transport&page=2")
    listed = [
        set(re.findall(r'href="/livinglab/pilots/([0-9a-f-]+)"', p.text)) for p in (first, second)
    ]
    assert all(len(ids) == 1 for ids in listed) and listed[0] | listed[1] == shown
    assert "domain=transport&amp;page=2" in first.text and "page=3" not in second.text
    assert lab.client.get("/livinglab?page=0").status_code == 422
