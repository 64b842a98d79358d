"""LINE account linking (LINE's account-link flow) and the citizen each channel user is.

The flow, as the LINE docs describe it: the bot asks the Messaging API for a link token for
the LINE user (`POST /v2/bot/user/{userId}/linkToken`) and sends the user a link to the
platform's link page carrying it; the citizen signs in there and confirms; the platform makes
a nonce and sends the browser to LINE's `accountLink` dialog with the token and the nonce; LINE
then posts an `accountLink` event (result and nonce) to the webhook, which binds the LINE user
to the citizen who made that nonce. A nonce binds once, within ten minutes (the token's own
lifetime), and only the digest of the nonce is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Protocol, runtime_checkable
from urllib.parse import quote, urlencode

import httpx
from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core import signed
from smartcity.core.city import current_city
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.time import as_utc, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.chatbot import errors
from smartcity.modules.chatbot import repository as repo
from smartcity.modules.chatbot.models import HomeDistrict, LineLink, LinkNonce
from smartcity.modules.chatbot.settings import ChatbotSettings

ACCOUNTS_SERVICE = "chatbot.line_accounts"
LINK_DIALOG = "https://access.line.me/dialog/bot/accountLink"
LINK_PAGE = "/chat/line/link"
LINK_ACCOUNT_PURPOSE = "chatbot.line-link-account"
NONCE_LIFETIME = timedelta(minutes=10)
"""LINE's link token is valid for ten minutes; a nonce made for it need not outlive it."""


@runtime_checkable
class LineAccounts(Protocol):
    """What the chatbot asks of the Messaging API about accounts (tests use a fake)."""

    def issue_link_token(self, line_user_id: str) -> str:
        """A link token for this LINE user."""
        ...

    def display_name(self, line_user_id: str) -> str:
        """The name this LINE user shows in LINE ("" when LINE does not say)."""
        ...


class MessagingApiAccounts:
    """The Messaging API itself."""

    def __init__(self, settings: ChatbotSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.transport = transport

    def _call(self, method: str, path: str) -> httpx.Response:
        """One authorised Messaging API request; httpx.HTTPError when LINE does not answer."""
        url = self.settings.line_api_base.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.settings.line_access_token}"}
        with httpx.Client(
            timeout=self.settings.reply_timeout_seconds, transport=self.transport
        ) as client:
            return client.request(method, url, headers=headers)

    def issue_link_token(self, line_user_id: str) -> str:
        """`POST /v2/bot/user/{userId}/linkToken` (LINE Messaging API reference)."""
        try:
            response = self._call("POST", f"/v2/bot/user/{quote(line_user_id, safe='')}/linkToken")
        except httpx.HTTPError as exc:
            raise errors.LinkTokenRefused(f"LINE did not answer: {type(exc).__name__}") from None
        token = response.json().get("linkToken") if response.status_code == 200 else None
        if not isinstance(token, str) or not token:
            raise errors.LinkTokenRefused(
                f"LINE refused a link token (HTTP {response.status_code})"
            )
        return token

    def display_name(self, line_user_id: str) -> str:
        """`GET /v2/bot/profile/{userId}`'s `displayName`; "" when LINE does not answer."""
        try:
            response = self._call("GET", f"/v2/bot/profile/{quote(line_user_id, safe='')}")
            name = response.json().get("displayName") if response.status_code == 200 else ""
        except (httpx.HTTPError, ValueError):
            return ""
        return name[:100] if isinstance(name, str) else ""


def accounts_of(platform: Platform, settings: ChatbotSettings) -> LineAccounts:
    """The platform's Messaging API client for accounts (a fake one when tests put it there)."""
    found = platform.services.get(ACCOUNTS_SERVICE)
    if found is None:
        found = platform.services.setdefault(ACCOUNTS_SERVICE, MessagingApiAccounts(settings))
    if not isinstance(found, LineAccounts):
        raise TypeError("the LINE accounts service has the wrong type")
    return found


def link_page_url(base_url: str, keys: KeyRing, link_token: str, display_name: str) -> str:
    """The platform page a LINE user opens to link their account. It carries, signed, the name
    of the LINE account the token was issued for: the citizen who confirms sees whose LINE
    account they let read their records, and a link sent to them by someone else shows it."""
    account = signed.sign(
        keys,
        LINK_ACCOUNT_PURPOSE,
        {"token": _digest(link_token), "name": display_name},
        int(NONCE_LIFETIME.total_seconds()),
    )
    query = urlencode({"linkToken": link_token, "account": account})
    return f"{base_url.rstrip('/')}{LINK_PAGE}?{query}"


def link_account(keys: KeyRing, link_token: str, account: str) -> str | None:
    """The display name of the LINE account `link_token` was issued for, or None when the page
    was not opened from the chatbot's own link (altered, expired or another token's)."""
    payload = signed.unsign(keys, LINK_ACCOUNT_PURPOSE, account)
    if payload is None or not link_token or payload.get("token") != _digest(link_token):
        return None
    return str(payload.get("name") or "")


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def make_nonce(uow: UnitOfWork, user_id: uuid.UUID) -> str:
    """A fresh nonce for the signed-in citizen (LINE asks for 10–255 characters, unguessable)."""
    nonce = secrets.token_urlsafe(32)
    now = utcnow()
    uow.session.add(
        LinkNonce(
            digest=_digest(nonce), user_id=user_id, created_at=now, expires_at=now + NONCE_LIFETIME
        )
    )
    uow.audit("chatbot.line_link.requested", "citizen", user_id, {})
    return nonce


def dialog_url(link_token: str, nonce: str) -> str:
    """LINE's account-link dialog for this token and nonce."""
    return f"{LINK_DIALOG}?{urlencode({'linkToken': link_token, 'nonce': nonce})}"


def complete_link(uow: UnitOfWork, user_ref: str, result: str, nonce: str) -> uuid.UUID:
    """Bind the LINE user to the citizen who made `nonce` (the accountLink event)."""
    if result != "ok":
        raise errors.LinkFailed("LINE reports that the account link failed")
    row = uow.session.get(LinkNonce, _digest(nonce)) if nonce else None
    if row is None:
        raise errors.LinkNonceUnknown("no account link was started with this nonce")
    if row.used_at is not None:
        raise errors.LinkNonceUsed("this nonce has already linked an account")
    if as_utc(row.expires_at) <= utcnow():
        raise errors.LinkExpired("the account link took too long; start it again")
    row.used_at = utcnow()
    link = uow.session.get(LineLink, user_ref)
    if link is None:
        uow.session.add(LineLink(user_ref=user_ref, user_id=row.user_id))
    else:
        link.user_id, link.linked_at = row.user_id, utcnow()
    uow.audit("chatbot.line_link.bound", "citizen", row.user_id, {})
    return row.user_id


def unlink(uow: UnitOfWork, user_ref: str) -> bool:
    """End a LINE user's binding; False when there was none."""
    link = uow.session.get(LineLink, user_ref)
    if link is None:
        return False
    uow.audit("chatbot.line_link.ended", "citizen", link.user_id, {})
    uow.session.delete(link)
    return True


def unlink_citizen(uow: UnitOfWork, user_id: uuid.UUID) -> int:
    """End every LINE binding of a citizen (from the portal); returns how many ended."""
    links = repo.line_links_of(uow.session, user_id)
    for link in links:
        uow.session.delete(link)
    if links:
        uow.audit("chatbot.line_link.ended", "citizen", user_id, {"count": len(links)})
    return len(links)


def is_linked(session: Session, user_id: uuid.UUID) -> bool:
    """Whether any LINE user is bound to the citizen."""
    return bool(repo.line_links_of(session, user_id))


def citizen_of(session: Session, user_ref: str) -> uuid.UUID | None:
    """The citizen a LINE user is bound to (None: not linked)."""
    link = session.get(LineLink, user_ref) if user_ref else None
    return link.user_id if link else None


def home_district(session: Session, user_id: uuid.UUID) -> str | None:
    """The district code the citizen gave the chatbot as home, else the one their household is
    registered in (identity's record), if any."""
    row = session.get(HomeDistrict, user_id)
    if row is not None:
        return row.district
    return identity.get_user(session, user_id).lives_in


def set_home_district(uow: UnitOfWork, user_id: uuid.UUID, code: str) -> None:
    """Remember the citizen's home district (a code of the city profile's districts)."""
    if code not in {d.code for d in current_city().districts}:
        raise errors.UnknownDistrict(f"no district {code!r}")
    row = uow.session.get(HomeDistrict, user_id)
    if row is None:
        uow.session.add(HomeDistrict(user_id=user_id, district=code))
    else:
        row.district, row.set_at = code, utcnow()
    uow.audit("chatbot.home_district.set", "citizen", user_id, {"district": code})
