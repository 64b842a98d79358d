"""Running a pilot in the browser: moves, KPIs and milestones through the same services."""

from __future__ import annotations

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
