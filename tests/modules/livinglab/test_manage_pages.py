"""Running a pilot in the browser: moves, KPIs and milestones through the same services."""

from __future__ import annotations

import uuid
from datetime import timedelta

from smartcity.core.time import local_today
from tests.modules.livinglab.conftest import Lab
from tests.support.portal import sign_in_staff


def test_the_host_officer_runs_a_pilot_from_its_work_page(lab: Lab) -> None:
    pilot = lab.pilot("matched")
    client = lab.client
    csrf = sign_in_staff(lab.platform, client, "DOT")
    base = f"/staff/livinglab/pilots/{pilot}"
    assert base in client.get("/staff/livinglab").text
    page = client.get(base)
    assert page.status_code == 200 and 'value="agreed"' in page.text

    # The state machine's refusal is shown, with its status, and nothing moves.
    unsigned = client.post(f"{base}/transitions", data={"csrf_token": csrf, "to": "agreed"})
    assert unsigned.status_code == 409 and 'role="alert"' in unsigned.text
    signed = client.post(
        f"{base}/transitions",
        data={"csrf_token": csrf, "to": "agreed", "agreement_ref": "北市交字第 1150001 號"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert lab.ok(lab.get(f"/pilots/{pilot}"))["state"] == "agreed"

    no_target = client.post(
        f"{base}/kpis", data={"csrf_token": csrf, "name": "準確率", "unit": "%", "target": ""}
    )
    assert no_target.status_code == 422 and 'role="alert"' in no_target.text
    not_a_number = client.post(
        f"{base}/kpis", data={"csrf_token": csrf, "name": "準確率", "target": "ninety"}
    )
    assert not_a_number.status_code == 422
    declared = client.post(
        f"{base}/kpis",
        data={"csrf_token": csrf, "name": "準確率", "unit": "%", "baseline": "80", "target": "95"},
        follow_redirects=False,
    )
    assert declared.status_code == 303
    (kpi,) = lab.ok(lab.get(f"/pilots/{pilot}/kpis"))
    recorded = client.post(
        f"{base}/kpis/{kpi['id']}/values",
        data={"csrf_token": csrf, "value": "96.5", "note": "第一週"},
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    assert lab.ok(lab.get(f"/pilots/{pilot}/kpis"))[0]["current"] == 96.5

    planned = client.post(
        f"{base}/milestones",
        data={"csrf_token": csrf, "title": "設備安裝完成", "due_on": "2027-03-01"},
        follow_redirects=False,
    )
    assert planned.status_code == 303
    assert "設備安裝完成" in client.get(base).text
    bad_day = client.post(
        f"{base}/milestones", data={"csrf_token": csrf, "title": "x", "due_on": "soon"}
    )
    assert bad_day.status_code == 422


def test_another_department_looks_but_cannot_move_the_pilot(lab: Lab) -> None:
    pilot = lab.pilot("matched")
    csrf = sign_in_staff(lab.platform, lab.client, "DOE")
    base = f"/staff/livinglab/pilots/{pilot}"
    page = lab.client.get(base)
    assert page.status_code == 200 and f"{base}/transitions" not in page.text
    refused = lab.client.post(
        f"{base}/transitions", data={"csrf_token": csrf, "to": "withdrawn", "reason": "x"}
    )
    assert refused.status_code == 403
    assert lab.ok(lab.get(f"/pilots/{pilot}"))["state"] == "matched"


def test_a_planned_milestone_is_marked_done_later_with_its_day_and_a_note(lab: Lab) -> None:
    pilot = lab.pilot("running")
    client = lab.client
    csrf = sign_in_staff(lab.platform, client, "DOT")
    base = f"/staff/livinglab/pilots/{pilot}"
    client.post(
        f"{base}/milestones",
        data={"csrf_token": csrf, "title": "期中報告", "due_on": "2027-03-01"},
        follow_redirects=False,
    )
    (planned,) = lab.ok(lab.get(f"/pilots/{pilot}/milestones"))
    assert planned["done_on"] is None and planned["done_note"] == ""
    done_path = f"{base}/milestones/{planned['id']}/done"
    assert done_path in client.get(base).text

    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    early = client.post(done_path, data={"csrf_token": csrf, "done_on": tomorrow})
    assert early.status_code == 422 and "完成日期不可晚於今天" in early.text
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    done = client.post(
        done_path,
        data={"csrf_token": csrf, "done_on": yesterday, "note": "審查委員會通過"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    (recorded,) = lab.ok(lab.get(f"/pilots/{pilot}/milestones"))
    assert recorded["done_on"] == yesterday and recorded["done_note"] == "審查委員會通過"
    page = client.get(base).text
    assert "審查委員會通過" in page and done_path not in page
    public = client.get(f"/livinglab/pilots/{pilot}").text
    assert f"已完成 {yesterday}" in public

    again = client.post(done_path, data={"csrf_token": csrf, "done_on": yesterday})
    assert again.status_code == 409
    assert lab.ok(lab.get(f"/pilots/{pilot}/milestones"))[0]["done_note"] == "審查委員會通過"


def test_marking_a_milestone_done_is_for_those_who_run_the_pilot(lab: Lab) -> None:
    pilot = lab.pilot("running")
    planned = lab.ok(
        lab.post(
            f"/pilots/{pilot}/milestones", lab.dot, {"title": "設備安裝", "due_on": "2027-01-10"}
        ),
        201,
    )
    path = f"/pilots/{pilot}/milestones/{planned['id']}/done"
    day = local_today().isoformat()
    refused = lab.post(path, lab.doe, {"done_on": day})
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_pilot"
    unknown = lab.post(f"/pilots/{pilot}/milestones/{uuid.uuid4()}/done", lab.dot, {"done_on": day})
    assert unknown.status_code == 404 and unknown.json()["code"] == "milestone_not_found"
    other = lab.pilot("running")
    elsewhere = lab.post(
        f"/pilots/{other}/milestones/{planned['id']}/done", lab.dot, {"done_on": day}
    )
    assert elsewhere.status_code == 404
    done = lab.ok(lab.post(path, lab.vendor, {"done_on": day, "note": "廠商完成安裝"}))
    assert done["done_on"] == day and done["done_note"] == "廠商完成安裝"
    twice = lab.post(path, lab.dot, {"done_on": day})
    assert twice.status_code == 409 and twice.json()["code"] == "milestone_already_done"
