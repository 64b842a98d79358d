"""The LINE webhook (events built and signed with the official SDK) and the JSON API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

import pytest
from fastapi.testclient import TestClient
from linebot.v3.webhooks import (
    DeliveryContext,
    FollowEvent,
    MessageEvent,
    PostbackContent,
    PostbackEvent,
    TextMessageContent,
    UserSource,
)

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.modules.chatbot import line
from smartcity.modules.chatbot.settings import ChatbotSettings
from tests.conftest import Actors, bearer
from tests.modules.chatbot.conftest import StandIn

SECRET = "test-channel-secret"
WEBHOOK = "/api/v1/chatbot/line/webhook"


def _configure(platform: Platform, server: StandIn) -> None:
    platform.module_settings["chatbot"] = ChatbotSettings(
        line_channel_secret=SECRET,
        line_access_token="token-123",
        line_api_base=server.base,
        reply_timeout_seconds=5,
    )
    line.replier_of(platform).sleep = lambda _seconds: None


def _body(*events: object) -> bytes:
    payload = {
        "destination": "Uxxxxxxxx",
        "events": [e.to_dict() for e in events],  # type: ignore[attr-defined]
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def _sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _text_event(text: str, event_id: str = "01HEVENT0000000000000000001") -> MessageEvent:
    return MessageEvent(
        source=UserSource(type="user", userId="U4af4980629000000000000000000000"),
        timestamp=1_700_000_000_000,
        mode="active",
        webhookEventId=event_id,
        deliveryContext=DeliveryContext(isRedelivery=False),
        replyToken="reply-token-1",
        message=TextMessageContent(id="1", text=text, quoteToken="q"),
    )


def _post(client: TestClient, body: bytes, signature: str | None) -> object:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-line-signature"] = signature
    return client.post(WEBHOOK, content=body, headers=headers)


def test_a_question_is_answered_through_the_reply_api(
    loaded: Platform, client: TestClient, line_server: StandIn
) -> None:
    _configure(loaded, line_server)
    body = _body(_text_event("請問育兒津貼怎麼申請"))
    response = _post(client, body, _sign(body))
    assert response.status_code == 200 and response.json() == {"processed": 1}  # type: ignore[attr-defined]
    line.replier_of(loaded).drain()
    (sent,) = line_server.requests
    assert sent["path"] == "/v2/bot/message/reply"
    assert sent["auth"] == "Bearer token-123"
    assert sent["body"]["replyToken"] == "reply-token-1"
    message = sent["body"]["messages"][0]
    assert "區公所" in message["text"]
    labels = [item["action"]["data"] for item in message["quickReply"]["items"]]
    assert any("fb=helpful" in data for data in labels)


def test_bad_or_missing_signature_is_refused_and_nothing_processed(
    loaded: Platform, client: TestClient, line_server: StandIn
) -> None:
    _configure(loaded, line_server)
    body = _body(_text_event("請問育兒津貼怎麼申請"))
    for signature in (None, _sign(body, "wrong-secret"), "not base64 at all"):
        response = _post(client, body, signature)
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
        assert response.json()["code"].startswith("line_signature")  # type: ignore[attr-defined]
    line.replier_of(loaded).drain()
    assert line_server.requests == []


def test_redelivered_events_are_processed_once(
    loaded: Platform, client: TestClient, line_server: StandIn
) -> None:
    _configure(loaded, line_server)
    body = _body(_text_event("房屋稅什麼時候繳", "01HEVENTSAME"))
    assert _post(client, body, _sign(body)).json() == {"processed": 1}  # type: ignore[attr-defined]
    assert _post(client, body, _sign(body)).json() == {"processed": 0}  # type: ignore[attr-defined]
    line.replier_of(loaded).drain()
    assert len(line_server.requests) == 1


def test_reply_failures_are_retried_and_logged(
    loaded: Platform, client: TestClient, line_server: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    _configure(loaded, line_server)
    line_server.statuses = [500, 503]
    body = _body(_text_event("房屋稅什麼時候繳"))
    with caplog.at_level(logging.INFO, logger="smartcity.chatbot.line"):
        assert _post(client, body, _sign(body)).status_code == 200  # type: ignore[attr-defined]
        line.replier_of(loaded).drain()
    assert len(line_server.requests) == 3
    assert "HTTP 500" in caplog.text and "reply sent (attempt 3)" in caplog.text


def test_the_webhook_answers_while_the_reply_api_is_still_busy(
    loaded: Platform, client: TestClient, line_server: StandIn
) -> None:
    _configure(loaded, line_server)
    import threading

    line_server.gate = threading.Event()
    body = _body(_text_event("房屋稅什麼時候繳"))
    response = _post(client, body, _sign(body))
    # The reply call is held open by the stand-in, yet the webhook has already answered.
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert not line_server.gate.is_set()
    line_server.gate.set()
    line.replier_of(loaded).drain()
    assert len(line_server.requests) == 1


def test_follow_postback_feedback_and_suggestion(
    loaded: Platform, client: TestClient, line_server: StandIn
) -> None:
    _configure(loaded, line_server)
    source = UserSource(type="user", userId="U4af4980629000000000000000000001")
    follow = FollowEvent(
        source=source,
        timestamp=1,
        mode="active",
        webhookEventId="01HFOLLOW",
        deliveryContext=DeliveryContext(isRedelivery=False),
        replyToken="rt-follow",
        follow={"isUnblocked": False},
    )
    body = _body(follow)
    assert _post(client, body, _sign(body)).json() == {"processed": 1}  # type: ignore[attr-defined]
    ask = client.post("/api/v1/chatbot/ask", json={"question": "育兒津貼怎麼申請"}).json()
    postbacks = [
        PostbackEvent(
            source=source,
            timestamp=2,
            mode="active",
            webhookEventId="01HPOSTBACK1",
            deliveryContext=DeliveryContext(isRedelivery=False),
            replyToken="rt-fb",
            postback=PostbackContent(data=f"fb=unhelpful&q={ask['question_id']}"),
        ),
        PostbackEvent(
            source=source,
            timestamp=3,
            mode="active",
            webhookEventId="01HPOSTBACK2",
            deliveryContext=DeliveryContext(isRedelivery=False),
            replyToken="rt-item",
            postback=PostbackContent(data=f"item={ask['item_id']}"),
        ),
    ]
    body = _body(*postbacks)
    assert _post(client, body, _sign(body)).json() == {"processed": 2}  # type: ignore[attr-defined]
    line.replier_of(loaded).drain()
    tokens = sorted(r["body"]["replyToken"] for r in line_server.requests)
    assert tokens == ["rt-fb", "rt-follow", "rt-item"]


def test_learning_loop_over_the_api(loaded: Platform, client: TestClient, actors: Actors) -> None:
    staff = bearer(actors.token(Role.ADMIN))
    miss = client.post("/api/v1/chatbot/ask", json={"question": "家裡的冷氣機要怎麼丟掉"}).json()
    assert miss["answered"] is False and miss["question_id"]
    clusters = client.get("/api/v1/chatbot/triage", headers=staff).json()
    assert any(q["question_id"] == miss["question_id"] for c in clusters for q in c["questions"])
    resolved = client.post(
        f"/api/v1/chatbot/triage/{miss['question_id']}/resolve",
        json={"item": "GIP_1005"},
        headers=staff,
    )
    assert resolved.status_code == 200 and "家裡的冷氣機要怎麼丟掉" in resolved.json()["variants"]
    again = client.post("/api/v1/chatbot/ask", json={"question": "家裡的冷氣機要怎麼丟掉"}).json()
    assert again["answered"] is True and again["source_id"] == "GIP_1005"
    metrics = client.get("/api/v1/chatbot/metrics", headers=staff).json()
    assert metrics["overall"]["questions"] >= 2 and metrics["items"] == 8
    assert client.get("/api/v1/chatbot/metrics").status_code == 401


def test_officers_edit_only_their_department(
    loaded: Platform, client: TestClient, actors: Actors
) -> None:
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    created = client.post(
        "/api/v1/chatbot/items",
        json={
            "question": "公車到站時間怎麼查？",
            "answer": "請用臺北通查詢。",
            "department_code": "DOT",
        },
        headers=officer,
    )
    assert created.status_code == 201, created.text
    other = client.post(
        "/api/v1/chatbot/items",
        json={"question": "水費怎麼繳？", "answer": "超商。", "department_code": "TWD"},
        headers=officer,
    )
    assert other.status_code == 403
    answer = client.post("/api/v1/chatbot/ask", json={"question": "公車什麼時候到站"}).json()
    assert answer["item_id"] == created.json()["item_id"] or any(
        s["item_id"] == created.json()["item_id"] for s in answer["suggestions"]
    )


def test_chat_widget_pages(loaded: Platform, client: TestClient) -> None:
    page = client.get("/chat")
    assert page.status_code == 200 and "chat-question" in page.text
    reply = client.post(
        "/chat/ask", data={"question": "戶籍謄本怎麼申請"}, headers={"hx-request": "true"}
    )
    assert reply.status_code == 200 and "戶政事務所" in reply.text


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"events": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "json_too_deep"),
        (b'{"events": [{"type": "message", "message": {"text": "\\udc00"}}]}', "lone_surrogate"),
        (
            b'{"events": [{"type": "message", "message": {"text": "\xed\xa0\x80"}}]}',
            "invalid_encoding",
        ),
    ],
)
def test_a_signed_body_that_is_bad_json_is_400_and_an_unsigned_one_401(
    loaded: Platform,
    client: TestClient,
    line_server: StandIn,
    raw: bytes,
    code: str,
    content_type: str,
) -> None:
    _configure(loaded, line_server)
    headers = {"content-type": content_type}
    unsigned = client.post(WEBHOOK, content=raw, headers=headers)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "line_signature_missing"
    forged = client.post(
        WEBHOOK, content=raw, headers={**headers, "x-line-signature": _sign(raw, "wrong")}
    )
    assert forged.status_code == 401 and forged.json()["code"] == "line_signature_invalid"
    signed = client.post(WEBHOOK, content=raw, headers={**headers, "x-line-signature": _sign(raw)})
    assert signed.status_code == 400, signed.text
    assert signed.json()["code"] == code
    line.replier_of(loaded).drain()
    assert line_server.requests == []
