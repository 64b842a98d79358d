"""The shell's pages for people: linked services, the helpline, translated error pages, the
transparency log by page and named, and a person's own entries."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

import smartcity.web
from smartcity.core.auth import Principal, Role
from smartcity.core.city import current_city
from smartcity.core.platform import Platform
from smartcity.web import transparency
from tests.conftest import Actors, bearer
from tests.modules.payments.conftest import sign_in

EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def test_home_links_every_citizen_service_and_names_the_helpline(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for href in ("/me/payments", "/me/bindings", "/airquality", "/livinglab", "/transparency"):
        assert f'href="{href}"' in page.text, href
    helpline = current_city().helpline
    assert f'href="tel:{helpline.number}"' in page.text and helpline.name_zh in page.text
    assert not EMOJI.search(page.text), "icons are drawn, not emoji"


def test_every_card_names_an_icon_that_is_drawn(platform: Platform) -> None:
    """The icon macro draws a dot for a name it does not know, so a card naming an emoji or a
    misspelt icon would show a dot and pass every page check."""
    icons = Path(smartcity.web.__file__).parent / "templates" / "web" / "_icons.html"
    drawn = set(re.findall(r'name == "([\w-]+)"', icons.read_text(encoding="utf-8")))
    viewers = [Principal(kind="user", id="x", role=role) for role in Role]
    cards = [
        (module.name, card)
        for module in platform.modules
        for viewer in viewers
        for cards_of in (module.citizen_cards, module.staff_cards)
        if cards_of
        for card in cards_of(viewer)
    ]
    assert {name for name, _ in cards} >= {"parking", "participation", "payments"}
    assert [(name, card.icon) for name, card in cards if card.icon not in drawn] == []


def test_error_pages_speak_the_readers_language(client: TestClient) -> None:
    html = {"accept": "text/html"}
    unknown = client.get("/no-such-page", headers=html)
    assert unknown.status_code == 404 and "找不到這個頁面" in unknown.text
    english = client.get("/no-such-page", headers={**html, "accept-language": "en"})
    assert "We could not find this page" in english.text


def test_a_staff_page_refused_to_a_citizen_says_so_in_chinese(
    client: TestClient, platform: Platform, actors: Actors
) -> None:
    user_id, _token = actors.citizen()
    sign_in(platform, client, user_id)
    refused = client.get("/staff", headers={"accept": "text/html"})
    assert refused.status_code == 403 and "您沒有權限開啟這個頁面" in refused.text


def test_the_log_is_paged_newest_first_and_named(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    admin = actors.token(Role.ADMIN)
    for n in range(transparency.PAGE_SIZE + 3):
        client.post(
            "/api/v1/identity/organisations",
            json={"code": f"ORG{n}", "kind": "vendor", "name": f"廠商{n}"},
            headers=bearer(admin),
        )
    first = client.get("/transparency")
    assert first.status_code == 200
    indices = [int(i) for i in re.findall(r'data-leaf-index="(\d+)"', first.text)]
    assert len(indices) == transparency.PAGE_SIZE and indices == sorted(indices, reverse=True)
    assert "新增機關或組織" in first.text and "identity.organisation.created" not in first.text
    older = re.search(r'href="/transparency\?before=(\d+)"', first.text)
    assert older and int(older.group(1)) == indices[-1]
    second = client.get(f"/transparency?before={older.group(1)}")
    rest = [int(i) for i in re.findall(r'data-leaf-index="(\d+)"', second.text)]
    assert rest and max(rest) < min(indices)
    only_identity = client.get("/transparency?module=identity")
    assert "建立示範" not in only_identity.text
    assert client.get("/transparency?module=No%20such").status_code == 422


def test_checkpoints_are_named_after_the_instance(client: TestClient, platform: Platform) -> None:
    body = client.get("/api/v1/transparency/checkpoint").json()
    assert "smartcity.local" not in body["origin"]
    assert body["origin"] == platform.settings.checkpoint_origin
    assert body["origin"].endswith("/transparency") and "://" not in body["origin"]


def test_my_record_lists_only_what_i_did(
    client: TestClient, platform: Platform, actors: Actors
) -> None:
    me, my_token = actors.citizen()
    _other, other_token = actors.citizen()
    for token, plate in ((my_token, "ABC-1234"), (other_token, "XYZ-9876")):
        client.post(
            "/api/v1/identity/me/bindings",
            json={"kind": "plate", "value": plate},
            headers=bearer(token),
        )
    sign_in(platform, client, me)
    page = client.get("/me/record")
    assert page.status_code == 200 and "/static/verify-log.js" in page.text
    indices = [int(i) for i in re.findall(r'data-leaf-index="(\d+)"', page.text)]
    assert indices
    session = platform.db.read_session()
    try:
        from sqlalchemy import select

        from smartcity.core.audit.models import AuditEntry

        actors_of = dict(
            session.execute(
                select(AuditEntry.index, AuditEntry.actor_id).where(AuditEntry.index.in_(indices))
            ).all()
        )
        mine = session.scalar(
            select(AuditEntry.index).where(
                AuditEntry.actor_id == me, AuditEntry.action == "identity.binding.requested"
            )
        )
    finally:
        session.close()
    assert set(actors_of.values()) == {me} and mine in indices
    assert client.get("/me/record?before=-1").status_code == 422
