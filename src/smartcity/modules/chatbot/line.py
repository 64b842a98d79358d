"""The LINE Messaging API channel: signature check, events, replies with retries.

Follows the LINE docs: the signature is the base64 HMAC-SHA256 of the raw request body with
the channel secret (header `X-Line-Signature`); each event carries a `webhookEventId` that a
redelivery repeats; a reply token is used once, through `POST <base>/v2/bot/message/reply`.
The webhook answers at once and the reply is sent from a background thread, so a slow reply
API never delays the 200 that LINE waits for. An `accountLink` event completes LINE's
account-link flow (`accounts.py`); 綁定帳號 and 解除綁定, typed or tapped, start and end it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import httpx
from sqlalchemy.exc import IntegrityError

from smartcity.core import jsonbody
from smartcity.core.auth import system_actor
from smartcity.core.city import current_city
from smartcity.core.errors import DomainError, InvalidInput, NotAuthenticated
from smartcity.core.platform import Platform
from smartcity.modules.chatbot import accounts, service
from smartcity.modules.chatbot.models import LineEvent, LineFollower
from smartcity.modules.chatbot.platform_answers import Choice, IntentReply
from smartcity.modules.chatbot.values import Channel, Feedback, Outcome

log = logging.getLogger("smartcity.chatbot.line")
REPLIER_SERVICE = "chatbot.line_replier"
MAX_TEXT = 5000  # LINE's limit for one text message
MAX_LABEL = 20  # LINE's limit for a quick-reply label


def verify_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Raise 401 unless `signature` is the channel's HMAC of `body` (before any parsing)."""
    if not secret:
        raise NotAuthenticated("the LINE channel is not configured", code="line_not_configured")
    if not signature:
        raise NotAuthenticated("X-Line-Signature is missing", code="line_signature_missing")
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise NotAuthenticated("X-Line-Signature does not match", code="line_signature_invalid")


class Replier:
    """Sends replies from a small thread pool, retrying failures and logging each outcome."""

    def __init__(self, platform: Platform, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = service.settings_of(platform)
        self.transport = transport
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="line-reply")
        self._pending: set[Future[bool]] = set()
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0
        self.sleep: Callable[[float], None] = time.sleep

    def submit(self, reply_token: str, messages: list[dict[str, Any]]) -> Future[bool]:
        """Queue one reply."""
        future = self.pool.submit(self._send, reply_token, messages)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[bool]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queued reply has been sent or given up (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for future in pending:
                future.exception(timeout=max(0.0, deadline - time.monotonic()))

    def _send(self, reply_token: str, messages: list[dict[str, Any]]) -> bool:
        url = self.settings.line_api_base.rstrip("/") + "/v2/bot/message/reply"
        body = {"replyToken": reply_token, "messages": messages[:5]}
        headers = {"Authorization": f"Bearer {self.settings.line_access_token}"}
        attempts = self.settings.reply_attempts
        for attempt in range(1, attempts + 1):
            try:
                with httpx.Client(
                    timeout=self.settings.reply_timeout_seconds, transport=self.transport
                ) as client:
                    response = client.post(url, json=body, headers=headers)
                if response.status_code < 300:
                    self.sent += 1
                    log.info("LINE reply sent (attempt %d)", attempt)
                    return True
                retryable = response.status_code >= 500 or response.status_code == 429
                log.warning(
                    "LINE reply failed: HTTP %d (attempt %d of %d)",
                    response.status_code,
                    attempt,
                    attempts,
                )
                if not retryable:
                    break
            except httpx.HTTPError as exc:
                log.warning(
                    "LINE reply failed: %s (attempt %d of %d)",
                    type(exc).__name__,
                    attempt,
                    attempts,
                )
            if attempt < attempts:
                self.sleep(min(2.0, 0.2 * 2 ** (attempt - 1)))
        self.failed += 1
        log.error("LINE reply given up after %d attempt(s)", attempts)
        return False


def replier_of(platform: Platform) -> Replier:
    """The platform's LINE replier (made on first use)."""
    found = platform.services.get(REPLIER_SERVICE)
    if found is None:
        found = platform.services.setdefault(REPLIER_SERVICE, Replier(platform))
    if not isinstance(found, Replier):
        raise TypeError("the Replier service has the wrong type")
    return found


# -- messages --------------------------------------------------------------------------------


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _postback(label: str, data: dict[str, str], display: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "postback", "label": _label(label), "data": urlencode(data)}
    if display:
        action["displayText"] = display[:300]
    return {"type": "action", "action": action}


def _feedback_buttons(question_id: str | None) -> list[dict[str, Any]]:
    if not question_id:
        return []
    return [
        _postback("👍 有幫助", {"fb": Feedback.HELPFUL.value, "q": question_id}, "有幫助"),
        _postback("👎 沒幫助", {"fb": Feedback.UNHELPFUL.value, "q": question_id}, "沒幫助"),
    ]


def _absolute(base_url: str, url: str) -> str:
    return base_url.rstrip("/") + url if url.startswith("/") else url


def _choice(choice: Choice) -> dict[str, Any]:
    if choice.postback:
        return _postback(choice.label, dict(parse_qsl(choice.postback)), choice.label)
    return {
        "type": "action",
        "action": {"type": "message", "label": _label(choice.label), "text": choice.text[:300]},
    }


def reply_messages(
    reply: IntentReply, base_url: str, question_id: str | None
) -> list[dict[str, Any]]:
    """The LINE messages for a platform need: the text with its links, and quick replies."""
    body = reply.text
    if reply.links:
        body += "\n" + "\n".join(
            f"{link['title']}：{_absolute(base_url, link['url'])}" for link in reply.links
        )
    items = [_choice(c) for c in reply.choices]
    if not reply.needs_citizen:
        items += _feedback_buttons(question_id)
    message: dict[str, Any] = {"type": "text", "text": _truncate(body)}
    if items:
        message["quickReply"] = {"items": items[:13]}
    return [message]


def link_messages(url: str) -> list[dict[str, Any]]:
    """The button that opens the platform's link page (LINE's account-link flow, step 2)."""
    text = "請點下方按鈕登入市民帳號，完成與 LINE 的綁定（10 分鐘內有效）。"
    return [
        {
            "type": "template",
            "altText": f"{text}\n{url}",
            "template": {
                "type": "buttons",
                "text": text[:160],
                "actions": [{"type": "uri", "label": "登入並綁定", "uri": url}],
            },
        }
    ]


def answer_messages(answer: service.Answer, base_url: str = "") -> list[dict[str, Any]]:
    """The LINE messages for one answer: the text, quick replies and feedback buttons."""
    if answer.reply is not None:
        return reply_messages(answer.reply, base_url, answer.question_id)
    if answer.answered and answer.item is not None:
        body = answer.item.answer
        if answer.item.links:
            body += "\n" + "\n".join(link["url"] for link in answer.item.links[:3])
        if answer.item.department_name:
            body += f"\n（{answer.item.department_name}）"
        items = _feedback_buttons(answer.question_id)
    elif answer.suggestions:
        lines = [answer.message] + [
            f"{n}. {s.question}" for n, s in enumerate(answer.suggestions, start=1)
        ]
        body = "\n".join(lines)
        items = [
            _postback(f"{n}. {s.question}", {"item": s.item_id}, s.question)
            for n, s in enumerate(answer.suggestions, start=1)
        ] + _feedback_buttons(answer.question_id)
    else:
        body = answer.message
        items = []
    message: dict[str, Any] = {"type": "text", "text": _truncate(body)}
    if items:
        message["quickReply"] = {"items": items[:13]}
    return [message]


def _truncate(body: str) -> str:
    return body if len(body) <= MAX_TEXT else body[: MAX_TEXT - 1] + "…"


def welcome() -> str:
    """The greeting a new follower gets, in the city's name."""
    city = current_city()
    return (
        f"歡迎加入{city.government_zh}！直接輸入您的問題，例如「怎麼申請育兒津貼」。"
        f"回答不了的問題，請撥 {city.helpline.number} {city.helpline.name_zh}。"
    )


# -- events ----------------------------------------------------------------------------------


def handle_webhook(platform: Platform, body: bytes) -> int:
    """Take in each new event of a signed body once; returns how many were processed."""
    try:
        payload = jsonbody.loads(body)
    except ValueError:
        raise InvalidInput("the webhook body is not JSON", code="line_body_invalid") from None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise InvalidInput("the webhook body has no events list", code="line_body_invalid")
    processed = 0
    for event in events[:100]:
        if isinstance(event, dict) and _first_time(platform, event):
            try:
                _handle_event(platform, event)
            except DomainError as exc:
                log.warning("LINE event %s not handled: %s", event.get("type"), exc.detail)
            processed += 1
    return processed


def _first_time(platform: Platform, event: dict[str, Any]) -> bool:
    event_id = str(event.get("webhookEventId") or "")[:64]
    if not event_id:
        return True
    try:
        with platform.unit_of_work(system_actor("line")) as uow:
            uow.session.add(
                LineEvent(webhook_event_id=event_id, event_type=str(event.get("type", ""))[:32])
            )
    except IntegrityError:
        log.info("LINE event %s already processed; skipped", event_id)
        return False
    return True


def _user_ref(platform: Platform, event: dict[str, Any]) -> str:
    source = event.get("source") if isinstance(event.get("source"), dict) else {}
    user = str((source or {}).get("userId") or "")
    return service.pseudonym(platform, "line", user)


def _line_user(event: dict[str, Any]) -> str:
    source = event.get("source") if isinstance(event.get("source"), dict) else {}
    return str((source or {}).get("userId") or "")


def _text(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


def _start_link(platform: Platform, event: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue a link token and send the link page's button (the account-link flow's start)."""
    line_user = _line_user(event)
    if not line_user:
        return _text("請在與官方帳號的一對一聊天中綁定。")
    api = accounts.accounts_of(platform, service.settings_of(platform))
    try:
        token = api.issue_link_token(line_user)
    except DomainError as exc:
        log.warning("LINE link token not issued: %s", exc.detail)
        return _text("目前無法綁定，請稍後再試。 Linking is unavailable now; try again later.")
    page = accounts.link_page_url(
        platform.settings.base_url, platform.keys, token, api.display_name(line_user)
    )
    return link_messages(page)


def _end_link(platform: Platform, user_ref: str) -> list[dict[str, Any]]:
    with platform.unit_of_work(system_actor("line")) as uow:
        ended = accounts.unlink(uow, user_ref) if user_ref else False
    if ended:
        return _text("已解除 LINE 與市民帳號的綁定。 Your LINE account is no longer linked.")
    return _text("您的 LINE 尚未綁定市民帳號。 Your LINE account is not linked.")


def _account_linked(
    platform: Platform, user_ref: str, event: dict[str, Any]
) -> list[dict[str, Any]]:
    """The accountLink event: bind the LINE user to the citizen who made the nonce."""
    link = event.get("link") if isinstance(event.get("link"), dict) else {}
    result = str((link or {}).get("result") or "")
    nonce = str((link or {}).get("nonce") or "")[:255]
    if not user_ref:
        return []
    try:
        with platform.unit_of_work(system_actor("line")) as uow:
            accounts.complete_link(uow, user_ref, result, nonce)
    except DomainError as exc:
        log.warning("LINE account link refused: %s", exc.code)
        return _text(
            "綁定沒有完成，請重新點「綁定帳號」。 Linking did not complete; please start again."
        )
    return _text("綁定完成！現在可以問「我的帳單還有幾筆沒繳」。 Your account is linked.")


def _set_home(platform: Platform, user_ref: str, code: str) -> list[dict[str, Any]]:
    with platform.db.read_session() as session:
        citizen = accounts.citizen_of(session, user_ref)
    if citizen is None:
        return _text("請先綁定市民帳號。 Link your citizen account first.")
    try:
        with platform.unit_of_work(system_actor("line")) as uow:
            accounts.set_home_district(uow, citizen, code)
    except DomainError:
        return _text("沒有這個行政區。 No such district.")
    return _text("已記下您家的行政區。 Your home district is noted.")


# Typed commands, as the quick replies' postbacks are.
COMMANDS = {"綁定帳號": "link=start", "解除綁定": "link=end"}


def _handle_event(platform: Platform, event: dict[str, Any]) -> None:
    kind = event.get("type")
    token = event.get("replyToken")
    user_ref = _user_ref(platform, event)
    replier = replier_of(platform)
    if kind == "message":
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        if (message or {}).get("type") != "text":
            if token:
                replier.submit(str(token), [{"type": "text", "text": "目前只看得懂文字訊息喔。"}])
            return
        question = str((message or {}).get("text") or "")
        command = COMMANDS.get(question.strip())
        if command is not None:
            messages = _command(platform, event, user_ref, dict(parse_qsl(command)))
        else:
            messages = _answer(platform, question, user_ref)
        if token and messages:
            replier.submit(str(token), messages)
    elif kind == "accountLink":
        messages = _account_linked(platform, user_ref, event)
        if token and messages:
            replier.submit(str(token), messages)
    elif kind in ("follow", "unfollow"):
        _set_follower(platform, user_ref, following=kind == "follow")
        if kind == "follow" and token:
            replier.submit(str(token), [{"type": "text", "text": welcome()}])
    elif kind == "postback":
        postback = event.get("postback") if isinstance(event.get("postback"), dict) else {}
        data = parse_qs(str((postback or {}).get("data") or ""))
        if "link" in data or "home" in data:
            messages = _command(platform, event, user_ref, {k: v[0] for k, v in data.items()})
            if token and messages:
                replier.submit(str(token), messages)
        elif "fb" in data and "q" in data:
            try:
                verdict = Feedback(data["fb"][0])
            except ValueError:
                return
            with platform.unit_of_work(system_actor("line")) as uow:
                service.record_feedback(uow, data["q"][0], verdict)
            if token:
                replier.submit(str(token), [{"type": "text", "text": "謝謝您的回饋！"}])
        elif "item" in data:
            doc = service.answer_item(platform, data["item"][0])
            answer = service.Answer(
                doc.question, Outcome.ANSWERED, 1.0, item=doc, message=doc.answer
            )
            if token:
                replier.submit(str(token), answer_messages(answer, platform.settings.base_url))


def _set_follower(platform: Platform, user_ref: str, *, following: bool) -> None:
    if not user_ref:
        return
    with platform.unit_of_work(system_actor("line")) as uow:
        row = uow.session.get(LineFollower, user_ref)
        if row is None:
            uow.session.add(LineFollower(user_ref=user_ref, following=following))
        else:
            row.following = following


def _command(
    platform: Platform, event: dict[str, Any], user_ref: str, data: dict[str, str]
) -> list[dict[str, Any]]:
    if data.get("link") == "start":
        return _start_link(platform, event)
    if data.get("link") == "end":
        return _end_link(platform, user_ref)
    if "home" in data:
        return _set_home(platform, user_ref, data["home"][:40])
    return []


def _answer(platform: Platform, question: str, user_ref: str) -> list[dict[str, Any]]:
    with platform.db.read_session() as session:
        citizen = accounts.citizen_of(session, user_ref)
    try:
        answer = service.ask(
            platform, question, channel=Channel.LINE, user_ref=user_ref, citizen=citizen
        )
    except InvalidInput:
        return _text("請輸入您的問題。")
    return answer_messages(answer, platform.settings.base_url)
