"""The issue's contract: challenges, proposals, matches, pilots, transitions."""

from __future__ import annotations

from tests.modules.livinglab.conftest import Lab


def test_challenge_and_proposal_answer_with_ids(lab: Lab) -> None:
    challenge = lab.challenge()
    proposal = lab.proposal(challenge_id=challenge)
    assert lab.ok(lab.get(f"/challenges/{challenge}"))["department"] == "DOT"
    assert lab.ok(lab.get(f"/proposals/{proposal}", lab.vendor))["status"] == "submitted"


def test_matches_rank_every_open_proposal_best_first(lab: Lab) -> None:
    challenge = lab.challenge()
    right = lab.proposal()
    to_challenge = lab.proposal(
        title="停車格車位即時偵測", summary="路邊停車空位偵測", challenge_id=challenge
    )
    wrong = lab.proposal(
        title="校園空氣品質監測",
        summary="在國小設置 PM2.5 空氣盒子並提供儀表板",
        domain="education",
    )
    matches = lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    ids = [m["proposal_id"] for m in matches]
    assert set(ids) == {right, to_challenge, wrong}
    assert ids[-1] == wrong
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    assert all(m["reasons"] for m in matches)
    assert any("bottom-up" in r for r in matches[ids.index(right)]["reasons"])


def test_pilots_list_is_public_and_filtered(lab: Lab) -> None:
    pilot = lab.pilot("matched")
    hidden = lab.pilot("screening")
    listed = lab.ok(lab.get("/pilots"))
    ids = {p["id"] for p in listed}
    assert pilot in ids and hidden not in ids
    row = next(p for p in listed if p["id"] == pilot)
    assert {"id", "title", "domain", "track", "state", "department"} <= set(row)
    assert row["department"] == "DOT" and row["track"] == "challenge"
    assert lab.ok(lab.get("/pilots?state=running")) == []
    assert len(lab.ok(lab.get("/pilots?domain=transport&track=challenge"))) == 1
    assert lab.get("/pilots?state=flying").status_code == 422


def test_happy_path_to_adopted(lab: Lab) -> None:
    pilot = lab.pilot("evaluating")
    lab.ok(lab.post(f"/pilots/{pilot}/scores", lab.dot, {"criterion": "effectiveness", "score": 5}))
    refused = lab.post(f"/pilots/{pilot}/transitions", lab.dot, {"to": "adopted"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "precondition_reference"
    done = lab.ok(
        lab.post(
            f"/pilots/{pilot}/transitions",
            lab.dot,
            {"to": "adopted", "reference": "臺北市路邊停車智慧化計畫（115 年）"},
        )
    )
    assert done["state"] == "adopted" and done["decision_reference"]
    history = lab.ok(lab.get(f"/pilots/{pilot}/transitions"))
    assert [h["to_state"] for h in history] == [
        "proposed",
        "screening",
        "matched",
        "agreed",
        "preparing",
        "running",
        "evaluating",
        "adopted",
    ]


def test_illegal_move_is_409_with_the_reason(lab: Lab) -> None:
    pilot = lab.pilot("matched")
    response = lab.post(f"/pilots/{pilot}/transitions", lab.dot, {"to": "running"})
    assert response.status_code == 409
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "illegal_transition" and "agreed" in body["detail"]
    unknown = lab.post(f"/pilots/{pilot}/transitions", lab.dot, {"to": "flying"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_state"


def test_agreement_needed_before_agreed_and_kpis_before_evaluating(lab: Lab) -> None:
    pilot = lab.pilot("matched")
    no_agreement = lab.post(f"/pilots/{pilot}/transitions", lab.dot, {"to": "agreed"})
    assert no_agreement.status_code == 409
    assert no_agreement.json()["code"] == "precondition_agreement"
    running = lab.pilot("running")
    no_kpis = lab.post(f"/pilots/{running}/transitions", lab.dot, {"to": "evaluating"})
    assert no_kpis.json()["code"] == "precondition_kpis_measured"
    kpi = lab.ok(
        lab.post(f"/pilots/{running}/kpis", lab.dot, {"name": "準確率", "target": 95}), 201
    )["id"]
    unmeasured = lab.post(f"/pilots/{running}/transitions", lab.dot, {"to": "evaluating"})
    assert unmeasured.status_code == 409
    lab.ok(lab.post(f"/kpis/{kpi}/measurements", lab.vendor, {"value": 97}), 201)
    lab.ok(lab.post(f"/pilots/{running}/transitions", lab.dot, {"to": "evaluating"}))
