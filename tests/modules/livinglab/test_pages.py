"""The pages: a verified citizen gives feedback on the pilot's public page; staff see matches."""

from __future__ import annotations

from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import VerificationLevel
from tests.modules.livinglab.conftest import Lab


def _session(lab: Lab, user) -> str:  # type: ignore[no-untyped-def]
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        # The scopes the portal's sign-in gives this person.
        scope = identity.portal_scope(user, "openid profile bindings payments services")
        token, row = identity.open_session(uow.session, user, kind="portal", scope=scope, hours=1)
        lab.client.cookies.set(SESSION_COOKIE, token)
        return row.csrf_token


def test_a_citizen_rates_a_pilot_on_its_page(lab: Lab) -> None:
    pilot = lab.pilot("running")
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        user = identity.register_citizen(
            uow,
            lab.platform.keys,
            national_id="A123456789",
            name="王小明",
            verification_level=VerificationLevel.VERIFIED,
        )
    csrf = _session(lab, user)
    page = lab.client.get(f"/livinglab/pilots/{pilot}")
    assert 'name="rating"' in page.text
    sent = lab.client.post(
        f"/livinglab/pilots/{pilot}/feedback",
        data={"rating": "4", "comment": "不錯", "would_use": "yes", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    again = lab.client.post(
        f"/livinglab/pilots/{pilot}/feedback",
        data={"rating": "4", "csrf_token": csrf},
    )
    assert again.status_code == 409 and "already" in again.text
    assert lab.ok(lab.get(f"/pilots/{pilot}/feedback"))["count"] == 1


def test_staff_see_their_pilots_and_matches(lab: Lab) -> None:
    challenge = lab.challenge()
    lab.proposal()
    pilot_title = "地磁感測停車位偵測"
    lab.pilot("matched")
    with lab.platform.unit_of_work(system_actor("test")) as uow:
        officer = identity.create_staff(
            uow,
            role=Role.OFFICER,
            name="交通局專員",
            email="dot@test.invalid",
            department_code="DOT",
        )
    _session(lab, officer)
    page = lab.client.get(f"/staff/livinglab?challenge={challenge}")
    assert page.status_code == 200
    assert pilot_title in page.text and "text similarity" in page.text
    for path in ("/livinglab/challenges", f"/livinglab/challenges/{challenge}", "/livinglab"):
        assert lab.client.get(path).status_code == 200
    cards = lab.client.get("/staff")
    assert "/staff/livinglab" in cards.text and "/livinglab" in cards.text
