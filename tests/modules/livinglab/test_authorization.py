"""Object-level authorisation: vendors see and edit only their own drafts, officers act only
for their department, citizens see only published pilots. (The route × role matrix is in
tests/core/test_authorization_matrix.py and covers every livinglab route.)"""

from __future__ import annotations

from smartcity.core.auth import Role
from tests.modules.livinglab.conftest import Lab


def test_a_draft_is_seen_and_edited_only_by_its_vendor(lab: Lab) -> None:
    draft = lab.proposal(draft=True)
    assert lab.ok(lab.get(f"/proposals/{draft}", lab.vendor))["status"] == "draft"
    for token in (lab.other_vendor, lab.dot, lab.office, lab.admin):
        response = lab.get(f"/proposals/{draft}", token)
        assert response.status_code == 404, token
    assert lab.patch(f"/proposals/{draft}", lab.other_vendor, {"title": "搶案"}).status_code == 404
    edited = lab.ok(lab.patch(f"/proposals/{draft}", lab.vendor, {"title": "地磁停車 v2"}))
    assert edited["title"] == "地磁停車 v2"
    assert draft not in {p["id"] for p in lab.ok(lab.get("/proposals", lab.other_vendor))}
    assert draft not in {p["id"] for p in lab.ok(lab.get("/proposals", lab.dot))}
    # A draft is not matched; once submitted it is, and no longer editable.
    challenge = lab.challenge()
    assert draft not in {
        m["proposal_id"] for m in lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    }
    lab.ok(lab.post(f"/proposals/{draft}/submit", lab.vendor))
    assert draft in {
        m["proposal_id"] for m in lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.dot))
    }
    frozen = lab.patch(f"/proposals/{draft}", lab.vendor, {"title": "改"})
    assert frozen.status_code == 409 and frozen.json()["code"] == "proposal_not_draft"


def test_officers_act_only_for_their_department(lab: Lab) -> None:
    pilot = lab.pilot("matched")
    challenge = lab.challenge()
    field = lab.ok(lab.post("/fields", lab.dot, {"name": "松智路", "kind": "road"}), 201)["id"]
    denied = [
        lab.post(f"/pilots/{pilot}/transitions", lab.doe, {"to": "agreed", "agreement_ref": "X"}),
        lab.patch(f"/pilots/{pilot}", lab.doe, {"agreement_ref": "X"}),
        lab.post(
            f"/pilots/{pilot}/bookings",
            lab.doe,
            {"field_id": field, "starts_on": "2030-01-01", "ends_on": "2030-01-05"},
        ),
        lab.get(f"/challenges/{challenge}/matches", lab.doe),
        lab.post(f"/challenges/{challenge}/close", lab.doe),
        lab.post("/fields", lab.doe, {"name": "x", "kind": "road", "department": "DOT"}),
    ]
    for response in denied:
        assert response.status_code == 403, response.text
        assert response.json()["code"] in ("not_your_department", "transition_not_permitted")
    # The host department and the office may.
    lab.ok(lab.get(f"/challenges/{challenge}/matches", lab.office))
    lab.ok(
        lab.post(f"/pilots/{pilot}/transitions", lab.dot, {"to": "agreed", "agreement_ref": "MOU"})
    )


def test_vendors_act_only_on_their_own_pilots(lab: Lab) -> None:
    pilot = lab.pilot("running")
    other = lab.post(f"/pilots/{pilot}/transitions", lab.other_vendor, {"to": "withdrawn"})
    assert other.status_code == 403 and other.json()["code"] == "transition_not_permitted"
    kpi = lab.post(f"/pilots/{pilot}/kpis", lab.other_vendor, {"name": "x", "target": 1})
    assert kpi.status_code == 403
    # A vendor may not move its pilot forward, only withdraw it.
    forward = lab.post(f"/pilots/{pilot}/transitions", lab.vendor, {"to": "evaluating"})
    assert forward.status_code == 403
    assert (
        lab.ok(lab.post(f"/pilots/{pilot}/transitions", lab.vendor, {"to": "withdrawn"}))["state"]
        == "withdrawn"
    )


def test_citizens_see_only_published_pilots(lab: Lab) -> None:
    hidden = lab.pilot("screening")
    shown = lab.pilot("matched")
    _user, citizen = lab.actors.citizen()
    for token in (citizen, None, lab.doe, lab.other_vendor):
        response = lab.get(f"/pilots/{hidden}", token)
        assert response.status_code == 404, token
        assert lab.get(f"/pilots/{hidden}/kpis", token).status_code == 404
    for token in (lab.dot, lab.vendor, lab.office, lab.admin):
        assert lab.ok(lab.get(f"/pilots/{hidden}", token))["state"] == "screening"
    assert lab.ok(lab.get(f"/pilots/{shown}", citizen))["state"] == "matched"
    assert lab.client.get(f"/livinglab/pilots/{hidden}").status_code == 404
    assert lab.client.get(f"/livinglab/pilots/{shown}").status_code == 200
    assert hidden not in lab.client.get("/api/v1/livinglab/open-data/pilots.csv").text


def test_roles_outside_a_rule_are_refused(lab: Lab) -> None:
    _user, citizen = lab.actors.citizen()
    provider = lab.actors.token(Role.PROVIDER, "BANK1")
    body = {"title": "t", "description": "d", "domain": "transport"}
    assert lab.post("/challenges", citizen, body).status_code == 403
    assert lab.post("/challenges", lab.vendor, body).status_code == 403
    assert (
        lab.post(
            "/proposals", lab.dot, {"title": "t", "summary": "s", "domain": "economy"}
        ).status_code
        == 403
    )
    assert (
        lab.post(
            "/proposals", provider, {"title": "t", "summary": "s", "domain": "economy"}
        ).status_code
        == 403
    )
    assert lab.client.post("/api/v1/livinglab/challenges", json=body).status_code == 401
