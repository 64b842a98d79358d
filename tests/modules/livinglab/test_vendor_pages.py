"""A vendor's person: invited by an administrator, signed in, drafting, attaching, submitting."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.modules.identity import repository as identity_repo
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import OrganisationKind
from tests.conftest import Actors, bearer
from tests.support.portal import sign_in_staff

VENDOR = "V-SENSE"
EMAIL = "lin@sense.example"


def _invite(platform: Platform, client: TestClient) -> str:
    with platform.unit_of_work(system_actor("test")) as uow:
        identity.ensure_organisation(uow, VENDOR, OrganisationKind.VENDOR, "感測科技")
        identity.ensure_organisation(uow, "DOT", OrganisationKind.DEPARTMENT)
    csrf = sign_in_staff(platform, client)
    page = client.get("/staff/invitations")
    assert page.status_code == 200 and f'value="{VENDOR}"' in page.text
    bad = client.post(
        "/staff/invitations",
        data={"csrf_token": csrf, "organisation": "DOT", "email": EMAIL, "name": "林"},
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    sent = client.post(
        "/staff/invitations",
        data={"csrf_token": csrf, "organisation": VENDOR, "email": EMAIL, "name": "林經理"},
    )
    assert sent.status_code == 201
    (code,) = re.findall(r"/join/([A-Za-z0-9_-]+)", sent.text)
    assert code not in client.get("/staff/invitations").text
    client.cookies.clear()
    return code


def _sign_in_as(platform: Platform, client: TestClient, email: str) -> str:
    with platform.unit_of_work(system_actor("test")) as uow:
        person = identity_repo.user_by_email(uow.session, email)
        assert person is not None
        token, row = identity.open_session(
            uow.session, person, kind="portal", scope=identity.portal_scope(person, ""), hours=1
        )
        csrf = row.csrf_token
    client.cookies.set(SESSION_COOKIE, token)
    return csrf


def test_an_invited_person_joins_once_and_acts_for_their_vendor(
    platform: Platform, client: TestClient
) -> None:
    code = _invite(platform, client)
    join = client.get(f"/join/{code}")
    assert join.status_code == 200 and "林經理" in join.text
    short = client.post(f"/join/{code}", data={"password": "short"})
    assert short.status_code == 422 and 'role="alert"' in short.text
    joined = client.post(
        f"/join/{code}", data={"password": "a long enough secret"}, follow_redirects=False
    )
    assert joined.status_code == 303
    assert client.post(f"/join/{code}", data={"password": "another long one"}).status_code == 404
    assert client.get("/join/not-a-code").status_code == 404

    # The member signs in with their e-mail and the password they chose.
    with platform.db.read_session() as session:
        person = identity.find_login(session, platform.keys, EMAIL)
        assert person is not None and person.role == "vendor"
        principal = identity.principal_for_user(
            session, person, scopes=frozenset({"*"}), credential="session"
        )
    assert principal.organisation == VENDOR and principal.department is None


def test_a_vendor_drafts_attaches_and_submits_a_proposal(
    platform: Platform, client: TestClient
) -> None:
    code = _invite(platform, client)
    client.post(f"/join/{code}", data={"password": "a long enough secret"})
    csrf = _sign_in_as(platform, client, EMAIL)
    assert client.get("/me", follow_redirects=False).headers["location"] == "/vendor"
    assert client.get("/vendor").status_code == 200

    incomplete = client.post(
        "/vendor/proposals", data={"csrf_token": csrf, "title": "", "domain": "transport"}
    )
    assert incomplete.status_code == 422 and 'role="alert"' in incomplete.text
    drafted = client.post(
        "/vendor/proposals",
        data={
            "csrf_token": csrf,
            "title": "地磁車位偵測",
            "summary": "以地磁感測器回報車位。",
            "domain": "transport",
            "weeks": "12",
        },
        follow_redirects=False,
    )
    assert drafted.status_code == 303
    page_path = drafted.headers["location"]
    proposal_id = page_path.rsplit("/", 1)[1]
    assert "與本提案相符的徵案" in client.get(page_path).text

    markup = client.post(
        f"{page_path}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("x.html", b"<script>alert(1)</script>", "text/html")},
    )
    assert markup.status_code == 422 and 'role="alert"' in markup.text
    attached = client.post(
        f"{page_path}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("plan.pdf", b"%PDF-1.4 plan", "application/pdf")},
        follow_redirects=False,
    )
    assert attached.status_code == 303
    page = client.get(page_path)
    (file_url,) = re.findall(
        rf'href="(/livinglab/proposals/{proposal_id}/files/[0-9a-f-]+)"', page.text
    )
    download = client.get(file_url)
    assert download.content == b"%PDF-1.4 plan"
    assert download.headers["content-disposition"].startswith("attachment")

    # Staff do not see a draft's files; once submitted, they do.
    vendor_cookie = client.cookies.get(SESSION_COOKIE)
    sign_in_staff(platform, client, "DOT")
    assert client.get(file_url).status_code == 404
    client.cookies.set(SESSION_COOKIE, vendor_cookie or "")
    submitted = client.post(
        f"{page_path}/submit", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert submitted.status_code == 303
    assert "已送出" in client.get(page_path).text
    sign_in_staff(platform, client, "DOT")
    assert client.get(file_url).content == b"%PDF-1.4 plan"
    # Officers have no vendor workspace.
    assert client.get("/vendor").status_code == 403


def test_a_vendor_sees_challenges_ranked_for_its_proposal_with_the_sentences_that_met(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    code = _invite(platform, client)
    client.post(f"/join/{code}", data={"password": "a long enough secret"})
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    parking = client.post(
        "/api/v1/livinglab/challenges",
        json={
            "title": "路邊停車格即時空位偵測",
            "description": "路邊停車格需要即時空位資訊，減少駕駛繞行找車位。",
            "domain": "transport",
        },
        headers=officer,
    ).json()["id"]
    client.post(
        "/api/v1/livinglab/challenges",
        json={
            "title": "垃圾車即時位置",
            "description": "市民想知道垃圾車何時抵達，不必在路邊久候。",
            "domain": "environment",
        },
        headers=officer,
    )
    csrf = _sign_in_as(platform, client, EMAIL)
    drafted = client.post(
        "/vendor/proposals",
        data={
            "csrf_token": csrf,
            "title": "路口影像辨識找空車格",
            "summary": "在電桿上裝攝影機，以影像辨識判斷哪一格有車。駕駛用手機就知道哪裡能停。",
            "domain": "transport",
        },
        follow_redirects=False,
    )
    Worker(platform).run_ready()  # the sentences are embedded after the commit
    page = client.get(drafted.headers["location"]).text
    ranked = page.split('data-testid="challenge-matches"')[1].split("</ol>")[0]
    titles = re.findall(r'href="/livinglab/challenges/([0-9a-f-]+)"', ranked)
    assert titles[0] == parking and len(titles) == 2
    best = ranked.split('<a href="/livinglab/challenges/')[1]  # up to the second match
    assert "文字相近" in best and "同領域" in best
    # The pair of sentences that met best, the challenge's first.
    assert re.search(r"語意相近[^<]*「[^」]+」↔「[^」]+」", best)
