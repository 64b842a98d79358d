"""LINE's account-link flow, end to end: link token, the platform's link page, the nonce, the
accountLink event (built and signed with line-bot-sdk's models), and a linked user's bills."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from linebot.v3.webhooks import (
    AccountLinkEvent,
    DeliveryContext,
    LinkContent,
    MessageEvent,
    PostbackContent,
    PostbackEvent,
    TextMessageContent,
    UserSource,
)

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.chatbot import accounts, line, service
from smartcity.modules.chatbot.models import LineLink, LinkNonce
from tests.conftest import Actors
from tests.modules.chatbot.conftest import StandIn
from tests.modules.chatbot.test_line_and_api import _configure, _post, _sign
from tests.modules.chatbot.test_platform_needs import (
    air_devices,
    issue_bills,
    load_parking,
    sign_in_citizen,
)
from tests.modules.participation.conftest import new_vote

LINE_USER = "U1234567890abcdef1234567890abcdef"
_events = iter(range(1, 10_000))


class FakeAccounts:
    """The Messaging API's link-token endpoint, as tests need it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def issue_link_token(self, line_user_id: str) -> str:
        self.asked.append(line_user_id)
        return f"link-token-{len(self.asked)}"

    def display_name(self, line_user_id: str) -> str:
        return f"小明的 LINE {line_user_id[-4:]}"


def _event_id() -> str:
    return f"01HLINK{next(_events):020d}"


def _source() -> UserSource:
    return UserSource(type="user", userId=LINE_USER)


def _text(text: str) -> MessageEvent:
    return MessageEvent(
        source=_source(),
        timestamp=1_700_000_000_000,
        mode="active",
        webhookEventId=_event_id(),
        deliveryContext=DeliveryContext(isRedelivery=False),
        replyToken="reply-text",
        message=TextMessageContent(id="1", text=text, quoteToken="q"),
    )


def _linked(nonce: str, result: str = "ok") -> AccountLinkEvent:
    return AccountLinkEvent(
        source=_source(),
        timestamp=1_700_000_000_000,
        mode="active",
        webhookEventId=_event_id(),
        deliveryContext=DeliveryContext(isRedelivery=False),
        replyToken="reply-link",
        link=LinkContent(result=result, nonce=nonce),
    )


def _send(client: TestClient, platform: Platform, server: StandIn, event: object) -> dict[str, Any]:
    server.requests.clear()
    body = json.dumps(
        {"destination": "Uxxxxxxxx", "events": [event.to_dict()]},  # type: ignore[attr-defined]
        ensure_ascii=False,
    ).encode()
    assert _post(client, body, _sign(body)).status_code == 200  # type: ignore[attr-defined]
    line.replier_of(platform).drain()
    (sent,) = server.requests
    return sent["body"]["messages"][0]  # type: ignore[no-any-return]


def _setup(platform: Platform, server: StandIn) -> FakeAccounts:
    _configure(platform, server)
    fake = FakeAccounts()
    platform.services[accounts.ACCOUNTS_SERVICE] = fake
    return fake


def _link_page(platform: Platform, link_token: str, name: str = "小明") -> str:
    """The link page's address as the chatbot sends it, path and query."""
    url = urlsplit(accounts.link_page_url("http://x", platform.keys, link_token, name))
    return f"{url.path}?{url.query}"


def _nonce_for(
    client: TestClient, platform: Platform, user_id: str, link_token: str, page_url: str = ""
) -> str:
    """The citizen signs in on the link page and confirms: the redirect to LINE's dialog."""
    csrf = sign_in_citizen(platform, client, user_id)
    page = client.get(page_url or _link_page(platform, link_token))
    assert page.status_code == 200 and link_token in page.text
    account = parse_qs(urlsplit(page_url or _link_page(platform, link_token)).query)["account"][0]
    confirmed = client.post(
        "/chat/line/link",
        data={"link_token": link_token, "account": account, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    target = urlsplit(confirmed.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == accounts.LINK_DIALOG
    query = parse_qs(target.query)
    assert query["linkToken"] == [link_token]
    client.cookies.clear()
    return query["nonce"][0]


def test_a_linked_line_user_hears_their_open_bills(
    platform: Platform, client: TestClient, actors: Actors, line_server: StandIn
) -> None:
    fake = _setup(platform, line_server)
    user_id, _ = actors.citizen()
    issue_bills(platform, user_id, [300, 450])

    before = _send(client, platform, line_server, _text("我的帳單還有幾筆沒繳"))
    assert "綁定" in before["text"] and "300" not in before["text"]
    assert any(i["action"].get("data") == "link=start" for i in before["quickReply"]["items"])

    button = _send(client, platform, line_server, _text("綁定帳號"))
    assert fake.asked == [LINE_USER]
    uri = urlsplit(button["template"]["actions"][0]["uri"])
    assert uri.path == "/chat/line/link"
    assert parse_qs(uri.query)["linkToken"] == ["link-token-1"]
    sign_in_citizen(platform, client, user_id)
    page = client.get(f"{uri.path}?{uri.query}")
    # The citizen sees whose LINE account they are about to let read their records.
    assert f"小明的 LINE {LINE_USER[-4:]}" in page.text
    client.cookies.clear()

    nonce = _nonce_for(client, platform, user_id, "link-token-1", f"{uri.path}?{uri.query}")
    done = _send(client, platform, line_server, _linked(nonce))
    assert "綁定完成" in done["text"]

    answer = _send(client, platform, line_server, _text("我的帳單還有幾筆沒繳"))
    assert "2 筆" in answer["text"] and "/me/payments/bills/" in answer["text"]

    ended = _send(client, platform, line_server, _text("解除綁定"))
    assert "已解除" in ended["text"]
    after = _send(client, platform, line_server, _text("我的帳單還有幾筆沒繳"))
    assert "300" not in after["text"] and "綁定" in after["text"]


def test_a_bad_nonce_or_a_failed_link_binds_nobody(
    platform: Platform, client: TestClient, actors: Actors, line_server: StandIn
) -> None:
    _setup(platform, line_server)
    user_id, _ = actors.citizen()
    nonce = _nonce_for(client, platform, user_id, "token-x")
    for event in (_linked("made-up-nonce-0123456789"), _linked(nonce, result="failed")):
        reply = _send(client, platform, line_server, event)
        assert "沒有完成" in reply["text"]
    with platform.db.read_session() as session:
        assert session.query(LineLink).count() == 0


def test_a_replayed_nonce_binds_once(
    platform: Platform, client: TestClient, actors: Actors, line_server: StandIn
) -> None:
    _setup(platform, line_server)
    user_id, _ = actors.citizen()
    nonce = _nonce_for(client, platform, user_id, "token-y")
    assert "綁定完成" in _send(client, platform, line_server, _linked(nonce))["text"]
    with platform.unit_of_work(system_actor("test")) as uow:
        accounts.unlink(uow, service.pseudonym(platform, "line", LINE_USER))
    # The same nonce in a new event (a new webhookEventId): refused, nothing bound again.
    assert "沒有完成" in _send(client, platform, line_server, _linked(nonce))["text"]
    with platform.db.read_session() as session:
        assert session.query(LineLink).count() == 0


def test_an_expired_nonce_is_refused(
    platform: Platform, client: TestClient, actors: Actors, line_server: StandIn
) -> None:
    _setup(platform, line_server)
    user_id, _ = actors.citizen()
    nonce = _nonce_for(client, platform, user_id, "token-z")
    with platform.unit_of_work(system_actor("test")) as uow:
        for row in uow.session.query(LinkNonce):
            row.expires_at = utcnow() - timedelta(seconds=1)
        uow.audit("test.nonce.aged", "nonce", "all", {})
    assert "沒有完成" in _send(client, platform, line_server, _linked(nonce))["text"]
    with platform.db.read_session() as session:
        assert session.query(LineLink).count() == 0


def test_the_link_page_needs_a_signed_in_citizen_and_a_token(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    anonymous = client.get("/chat/line/link?linkToken=abc", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    user_id, _ = actors.citizen()
    csrf = sign_in_citizen(platform, client, user_id)
    missing = client.post("/chat/line/link", data={"link_token": "", "csrf_token": csrf})
    assert missing.status_code == 422
    # A token the chatbot did not send with its signed account, or with another token's, is
    # not offered for confirmation and cannot be confirmed.
    other = parse_qs(urlsplit(_link_page(platform, "token-a")).query)["account"][0]
    bare = client.get("/chat/line/link?linkToken=token-b")
    assert bare.status_code == 200 and 'name="link_token"' not in bare.text
    swapped = client.get("/chat/line/link", params={"linkToken": "token-b", "account": other})
    assert 'name="link_token"' not in swapped.text
    for account in ("", other, other[:-2] + "xx"):
        refused = client.post(
            "/chat/line/link",
            data={"link_token": "token-b", "account": account, "csrf_token": csrf},
        )
        assert refused.status_code == 422, account
    forged = client.post("/chat/line/link", data={"link_token": "t"}, follow_redirects=False)
    assert forged.status_code == 403


def test_a_citizen_unlinks_from_the_portal(
    platform: Platform, client: TestClient, actors: Actors, line_server: StandIn
) -> None:
    _setup(platform, line_server)
    user_id, _ = actors.citizen()
    nonce = _nonce_for(client, platform, user_id, "token-w")
    _send(client, platform, line_server, _linked(nonce))
    csrf = sign_in_citizen(platform, client, user_id)
    assert 'action="/chat/line/unlink"' in client.get("/chat/line/link").text
    assert client.post("/chat/line/unlink", data={"csrf_token": csrf}).status_code == 200
    with platform.db.read_session() as session:
        assert session.query(LineLink).count() == 0


def test_each_need_on_line(
    platform: Platform, client: TestClient, actors: Actors, line_server: StandIn
) -> None:
    _setup(platform, line_server)
    air_devices(platform, 8.0)
    load_parking(platform)  # before the first question: names of places are kept minutes
    air = _send(client, platform, line_server, _text("信義區現在PM2.5"))
    assert "信義區" in air["text"] and "良好" in air["text"]
    where = _send(client, platform, line_server, _text("我家附近空氣好嗎"))
    labels = [i["action"]["label"] for i in where["quickReply"]["items"]]
    assert "信義區" in labels and "哪一區" in where["text"]
    parking = _send(client, platform, line_server, _text("松智路還有車位嗎"))
    assert "松智路" in parking["text"]
    votes = _send(client, platform, line_server, _text("現在有什麼可以投票"))
    assert "沒有開放中的投票" in votes["text"]
    vote, _ = new_vote(client, actors)
    votes = _send(client, platform, line_server, _text("現在有什麼可以投票"))
    assert vote["title"] in votes["text"] and "綁定" in votes["text"]
    assert f"/participation/votes/{vote['id']}/vote" in votes["text"]
    assert any(i["action"].get("data") == "link=start" for i in votes["quickReply"]["items"])
    user_id, _ = actors.citizen()
    nonce = _nonce_for(client, platform, user_id, "token-v")
    _send(client, platform, line_server, _linked(nonce))
    votes = _send(client, platform, line_server, _text("現在有什麼可以投票"))
    assert vote["title"] in votes["text"] and "綁定" not in votes["text"]
    # A linked citizen told a district's air may keep it as home; 我家附近 then means it.
    air = _send(client, platform, line_server, _text("信義區現在PM2.5"))
    (home,) = [i for i in air["quickReply"]["items"] if "home=" in i["action"].get("data", "")]
    assert (
        "已記下" in _send(client, platform, line_server, _postback(home["action"]["data"]))["text"]
    )
    near = _send(client, platform, line_server, _text("我家附近空氣好嗎"))
    assert "信義區" in near["text"] and "PM2.5" in near["text"]


def _postback(data: str) -> PostbackEvent:
    return PostbackEvent(
        source=_source(),
        timestamp=1_700_000_000_000,
        mode="active",
        webhookEventId=_event_id(),
        deliveryContext=DeliveryContext(isRedelivery=False),
        replyToken="reply-postback",
        postback=PostbackContent(data=data),
    )
