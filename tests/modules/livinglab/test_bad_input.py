"""Bad input gets clear problem+json errors with a stable code."""

from __future__ import annotations

from smartcity.modules.livinglab.settings import LivinglabSettings
from tests.conftest import bearer
from tests.modules.livinglab.conftest import API, Lab


def _problem(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code, response.json()
    assert response.json()["detail"]


def test_unknown_state_and_domain(lab: Lab) -> None:
    pilot = lab.pilot()
    _problem(
        lab.post(f"/pilots/{pilot}/transitions", lab.office, {"to": "launched"}),
        422,
        "unknown_state",
    )
    _problem(
        lab.post("/challenges", lab.dot, {"title": "t", "description": "d", "domain": "space"}),
        422,
        "validation_error",
    )
    _problem(
        lab.post(f"/pilots/{pilot}/transitions", lab.office, {"to": "adopted"}),
        409,
        "illegal_transition",
    )


def test_a_field_cannot_be_booked_twice(lab: Lab) -> None:
    first, second = lab.pilot("agreed"), lab.pilot("agreed")
    field = lab.ok(lab.post("/fields", lab.dot, {"name": "松智路路段", "kind": "road"}), 201)["id"]
    booking = {"field_id": field, "starts_on": "2030-03-01", "ends_on": "2030-07-31"}
    lab.ok(lab.post(f"/pilots/{first}/bookings", lab.dot, booking), 201)
    overlap = {"field_id": field, "starts_on": "2030-07-31", "ends_on": "2030-09-30"}
    _problem(lab.post(f"/pilots/{second}/bookings", lab.dot, overlap), 409, "field_already_booked")
    after = {"field_id": field, "starts_on": "2030-08-01", "ends_on": "2030-09-30"}
    lab.ok(lab.post(f"/pilots/{second}/bookings", lab.dot, after), 201)
    backwards = {"field_id": field, "starts_on": "2031-02-01", "ends_on": "2031-01-01"}
    _problem(lab.post(f"/pilots/{second}/bookings", lab.dot, backwards), 422, "bad_window")


def test_a_field_with_capacity_two_hosts_two_pilots(lab: Lab) -> None:
    pilots = [lab.pilot("agreed") for _ in range(3)]
    field = lab.ok(
        lab.post(
            "/fields",
            lab.dot,
            {
                "name": "大安森林公園",
                "kind": "park",
                "capacity": 2,
                "availability": [{"start": "2030-01-01", "end": "2030-12-31"}],
            },
        ),
        201,
    )["id"]
    booking = {"field_id": field, "starts_on": "2030-03-01", "ends_on": "2030-03-31"}
    for pilot in pilots[:2]:
        lab.ok(lab.post(f"/pilots/{pilot}/bookings", lab.dot, booking), 201)
    _problem(
        lab.post(f"/pilots/{pilots[2]}/bookings", lab.dot, booking), 409, "field_already_booked"
    )
    outside = {"field_id": field, "starts_on": "2031-01-01", "ends_on": "2031-01-31"}
    _problem(lab.post(f"/pilots/{pilots[2]}/bookings", lab.dot, outside), 409, "field_unavailable")


def test_a_kpi_needs_a_target(lab: Lab) -> None:
    pilot = lab.pilot("running")
    _problem(
        lab.post(f"/pilots/{pilot}/kpis", lab.dot, {"name": "準確率", "baseline": 80}),
        422,
        "kpi_target_missing",
    )
    _problem(
        lab.post(
            f"/pilots/{pilot}/kpis",
            lab.dot,
            {"name": "上線率", "target": 95, "source": "sensor", "statistic": "online_ratio"},
        ),
        422,
        "kpi_no_devices",
    )


def test_oversized_and_empty_attachments(lab: Lab) -> None:
    lab.platform.module_settings["livinglab"] = LivinglabSettings(max_attachment_bytes=2048)
    proposal = lab.proposal(draft=True)
    url = f"{API}/proposals/{proposal}/attachments?filename=plan.pdf"
    headers = {**bearer(lab.vendor), "content-type": "application/pdf"}
    _problem(
        lab.client.post(url, content=b"x" * 4096, headers=headers), 413, "attachment_too_large"
    )
    _problem(lab.client.post(url, content=b"", headers=headers), 422, "empty_attachment")
    stored = lab.ok(lab.client.post(url, content=b"%PDF-1.4 demo", headers=headers), 201)
    assert stored["size"] == 13 and stored["filename"] == "plan.pdf"
    folder = lab.platform.settings.data_dir / "livinglab" / "attachments" / proposal
    assert (folder / stored["id"]).read_bytes() == b"%PDF-1.4 demo"
    listed = lab.ok(lab.get(f"/proposals/{proposal}/attachments", lab.vendor))
    assert [a["id"] for a in listed] == [stored["id"]]
    download = lab.client.get(
        f"{API}/proposals/{proposal}/attachments/{stored['id']}", headers=bearer(lab.vendor)
    )
    assert download.content == b"%PDF-1.4 demo"
    sneaky = f"{API}/proposals/{proposal}/attachments?filename=../../etc/passwd"
    assert (
        lab.ok(lab.client.post(sneaky, content=b"x", headers=headers), 201)["filename"] == "passwd"
    )
    other = lab.client.post(url, content=b"x", headers={**bearer(lab.other_vendor)})
    _problem(other, 404, "proposal_not_found")


def test_proposals_to_closed_or_unknown_challenges(lab: Lab) -> None:
    challenge = lab.challenge()
    lab.ok(lab.post(f"/challenges/{challenge}/close", lab.dot))
    body = {"title": "t", "summary": "s", "domain": "transport", "challenge_id": challenge}
    _problem(lab.post("/proposals", lab.vendor, body), 409, "challenge_closed")
    body["challenge_id"] = "00000000-0000-0000-0000-000000000000"
    _problem(lab.post("/proposals", lab.vendor, body), 404, "challenge_not_found")
    _problem(
        lab.post("/proposals", lab.vendor, {"title": "t", "domain": "transport"}),
        422,
        "validation_error",
    )
