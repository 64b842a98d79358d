"""Sign-in through an outside identity provider (TaipeiPASS), against a real local IdP.

The provider is `tests.support.local_idp`, served by uvicorn on 127.0.0.1. The
browser's trip to the provider is made with a real httpx client; the platform
redeems the code over real HTTP. Redirects are followed by hand.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartcity.app import build_platform, create_app
from smartcity.core.auth import system_actor
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.modules.identity import service
from smartcity.modules.identity.models import ExternalAccount, PortalSession, User
from smartcity.modules.identity.seed import national_id
from tests.support.local_idp import IdpUser, LocalIdP

CLIENT_ID = "smartcity-test"
# Characters that RFC 6749 §2.3.1 requires to be form-encoded inside HTTP Basic.
CLIENT_SECRET = "s3cret+with/odd=chars:%20"
CALLBACK = "http://testserver/auth/federated/callback"
PROVIDER = "TaipeiPASS"
NUMBER = national_id("A", 2, 5_550_001)
PROBLEM_JSON = "application/problem+json"


def make_user(**changes: Any) -> IdpUser:
    values: dict[str, Any] = {
        "sub": "tp-0001",
        "name": "陳大文",
        "national_id": NUMBER,
        "email": "chen@example.tw",
        "identity_verified": True,
    }
    values.update(changes)
    return IdpUser(**values)


@pytest.fixture
def idp() -> Iterator[LocalIdP]:
    provider = LocalIdP(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=CALLBACK, user=make_user()
    )
    provider.serve()
    yield provider
    provider.stop()


@pytest.fixture
def fed_platform(
    idp: LocalIdP, database_url: str, settings_factory: Callable[..., Settings]
) -> Iterator[Platform]:
    settings = settings_factory(
        database_url,
        federation_name=PROVIDER,
        federation_authorize_url=idp.authorize_url,
        federation_token_url=idp.token_url,
        federation_userinfo_url=idp.userinfo_url,
        federation_client_id=CLIENT_ID,
        federation_client_secret=CLIENT_SECRET,
    )
    built = build_platform(settings, keys=KeyRing.ephemeral())
    yield built
    built.db.dispose()


@pytest.fixture
def browser(fed_platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform=fed_platform)) as test_client:
        yield test_client


# -- helpers ----------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self.links.append((self._href, ""))

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def links_of(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return [(href, " ".join(text.split())) for href, text in parser.links]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def redirect_target(response: Any) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.text)
    location: str = response.headers["location"]
    return location


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["detail"]
    return body


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass
class AtProvider:
    """The browser has been sent to the provider and is coming back."""

    authorize_url: str
    callback_url: str
    portal_state: str


def go_to_provider(browser: TestClient, idp: LocalIdP) -> AtProvider:
    """/login → sign-in page → the federation button → the provider, which signs in."""
    start = browser.get("/login", follow_redirects=False)
    authorize = redirect_target(start)
    assert urlsplit(authorize).path == "/oauth/authorize"
    page = browser.get(authorize, follow_redirects=False)
    assert page.status_code == 200
    buttons = [
        (href, text)
        for href, text in links_of(page.text)
        if urlsplit(href).path == "/auth/federated/start"
    ]
    assert len(buttons) == 1
    href, text = buttons[0]
    assert PROVIDER in text
    # The button carries the portal's pending authorisation request along.
    assert query_of(href) == query_of(authorize)

    to_idp = browser.get(href, follow_redirects=False)
    idp_url = redirect_target(to_idp)
    assert idp_url.startswith(idp.authorize_url + "?")
    assert "sc_fed" in browser.cookies
    asked = query_of(idp_url)
    assert asked["response_type"] == "code"
    assert asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == CALLBACK
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 22
    assert "code_verifier" not in asked

    # The browser at the provider: a real HTTP client, not following back into the platform.
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=10) as outside:
        answer = outside.get(idp_url)
    assert answer.status_code == 302
    back = answer.headers["location"]
    assert back.startswith(CALLBACK + "?")
    assert query_of(back)["state"] == asked["state"]
    assert query_of(back)["code"]
    return AtProvider(idp_url, back, query_of(authorize)["state"])


def come_back(browser: TestClient, at: AtProvider, callback_url: str | None = None) -> Any:
    return browser.get(path_of(callback_url or at.callback_url), follow_redirects=False)


def finish(browser: TestClient, at: AtProvider, response: Any) -> Any:
    """From the federation callback to the portal session; returns the profile page."""
    authorize = redirect_target(response)
    assert urlsplit(authorize).path == "/oauth/authorize"
    assert query_of(authorize)["state"] == at.portal_state
    assert browser.cookies.get("sc_login")
    assert "sc_fed" not in browser.cookies

    to_portal = browser.get(authorize, follow_redirects=False)
    callback = redirect_target(to_portal)
    assert urlsplit(callback).path == "/auth/callback"
    assert query_of(callback)["state"] == at.portal_state

    signed_in = browser.get(callback, follow_redirects=False)
    assert redirect_target(signed_in) == "/me"
    assert browser.cookies.get("sc_session")
    profile = browser.get("/me/profile", follow_redirects=False)
    assert profile.status_code == 200
    return profile


def federated_sign_in(browser: TestClient, idp: LocalIdP) -> Any:
    at = go_to_provider(browser, idp)
    return finish(browser, at, come_back(browser, at))


def count(platform: Platform, model: type) -> int:
    with platform.db.read_session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def citizen_with(platform: Platform, number: str) -> User | None:
    """The stored row (password digest included), not the view other modules get."""
    digest = service.national_id_digest(platform.keys, number)
    with platform.db.read_session() as session:
        return session.execute(select(User).where(User.national_id_hash == digest)).scalar()


def links(platform: Platform) -> list[tuple[str, str, str]]:
    with platform.db.read_session() as session:
        rows = session.execute(select(ExternalAccount)).scalars().all()
        return [(row.provider, row.subject, str(row.user_id)) for row in rows]


def assert_nothing_created(platform: Platform, browser: TestClient) -> None:
    assert count(platform, User) == 0
    assert count(platform, ExternalAccount) == 0
    assert count(platform, PortalSession) == 0
    assert "sc_login" not in browser.cookies
    assert "sc_session" not in browser.cookies


# -- the happy paths --------------------------------------------------------------------------


def test_federated_sign_in_creates_a_verified_citizen(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    assert count(fed_platform, User) == 0
    profile = federated_sign_in(browser, idp)

    user = citizen_with(fed_platform, NUMBER)
    assert user is not None
    assert user.role == "citizen"
    assert user.name == "陳大文"
    assert user.email == "chen@example.tw"
    assert user.verification_level == "verified"
    assert user.national_id_masked == NUMBER[:4] + "****" + NUMBER[-2:]
    assert user.password_hash is None
    assert user.national_id_masked in profile.text
    assert NUMBER not in profile.text
    assert count(fed_platform, User) == 1
    assert links(fed_platform) == [(PROVIDER, "tp-0001", str(user.id))]

    # The provider saw a well-behaved client: one code redeemed once, with the client's
    # credentials in HTTP Basic, the same redirect URI and the verifier of the challenge.
    assert len(idp.token_requests) == 1
    redeemed = idp.token_requests[0]
    assert redeemed["basic"] == (CLIENT_ID, CLIENT_SECRET)
    assert redeemed["redirect_uri"] == CALLBACK
    assert s256(redeemed["code_verifier"]) == idp.authorize_requests[0]["code_challenge"]


def test_second_sign_in_reuses_the_linked_citizen(fed_platform: Platform, idp: LocalIdP) -> None:
    app = create_app(platform=fed_platform)
    with TestClient(app) as first:
        federated_sign_in(first, idp)
    user = citizen_with(fed_platform, NUMBER)
    assert user is not None

    # Another browser, and the provider no longer shares the national ID: the link decides.
    idp.user = make_user(national_id=None, name="陳大文 (renamed)")
    with TestClient(app) as second:
        federated_sign_in(second, idp)
        me = second.get("/me/profile")
        assert user.national_id_masked in me.text
    assert count(fed_platform, User) == 1
    assert links(fed_platform) == [(PROVIDER, "tp-0001", str(user.id))]
    assert len(idp.token_requests) == 2


def test_existing_citizen_is_linked_not_duplicated(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    with fed_platform.unit_of_work(system_actor("test")) as uow:
        existing = service.register_citizen(
            uow, fed_platform.keys, national_id=NUMBER, name="陳大文", password="my own password"
        )
        existing_id = str(existing.id)

    federated_sign_in(browser, idp)
    assert count(fed_platform, User) == 1
    user = citizen_with(fed_platform, NUMBER)
    assert user is not None and str(user.id) == existing_id
    assert user.password_hash  # the existing account is unchanged, not replaced
    assert links(fed_platform) == [(PROVIDER, "tp-0001", existing_id)]


def test_unverified_new_subject_becomes_a_basic_citizen(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    idp.user = make_user(identity_verified=False)
    federated_sign_in(browser, idp)
    user = citizen_with(fed_platform, NUMBER)
    assert user is not None
    assert user.verification_level == "basic"


def test_unverified_claim_cannot_take_over_an_existing_citizen(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    with fed_platform.unit_of_work(system_actor("test")) as uow:
        service.register_citizen(
            uow, fed_platform.keys, national_id=NUMBER, name="陳大文", password="my own password"
        )
    # Someone whose provider account claims this number without the provider vouching for it.
    idp.user = make_user(sub="tp-intruder", identity_verified=False)
    at = go_to_provider(browser, idp)
    body = assert_problem(come_back(browser, at), 502, "federation_unverified")
    assert PROVIDER in body["detail"]
    assert count(fed_platform, ExternalAccount) == 0
    assert count(fed_platform, PortalSession) == 0
    assert "sc_login" not in browser.cookies


# -- failures ---------------------------------------------------------------------------------


def test_tampered_state_is_refused_before_the_code_is_redeemed(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    at = go_to_provider(browser, idp)
    params = query_of(at.callback_url)
    for state in (
        params["state"][:-1] + ("A" if params["state"][-1] != "A" else "B"),
        "",
        "ü" + params["state"],
    ):
        tampered = f"{CALLBACK}?{urlencode({'code': params['code'], 'state': state})}"
        assert_problem(come_back(browser, at, tampered), 403, "oauth_state_mismatch")
    # The right state from a browser that did not start the sign-in (no cookie) is refused too.
    cookie = browser.cookies.get("sc_fed")
    browser.cookies.delete("sc_fed")
    assert_problem(come_back(browser, at), 403, "oauth_state_mismatch")
    # And so is a forged cookie.
    assert cookie
    browser.cookies.set(
        "sc_fed",
        cookie[:-2] + ("00" if not cookie.endswith("00") else "11"),
        domain="testserver.local",
        path="/",
    )
    assert_problem(come_back(browser, at), 403, "oauth_state_mismatch")
    assert idp.token_requests == []
    assert_nothing_created(fed_platform, browser)


def test_provider_refusing_the_code_is_a_clear_502(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    idp.refuse_codes = True
    at = go_to_provider(browser, idp)
    body = assert_problem(come_back(browser, at), 502, "federation_failed")
    assert "400" in body["detail"]
    assert len(idp.token_requests) == 1
    assert_nothing_created(fed_platform, browser)


def test_provider_unreachable_is_a_clear_502(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    at = go_to_provider(browser, idp)
    idp.stop()
    assert_problem(come_back(browser, at), 502, "federation_failed")
    assert_nothing_created(fed_platform, browser)


def test_provider_denying_the_sign_in(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    at = go_to_provider(browser, idp)
    state = query_of(at.callback_url)["state"]
    denied = f"{CALLBACK}?{urlencode({'error': 'access_denied', 'state': state})}"
    assert_problem(come_back(browser, at, denied), 403, "federation_denied")
    assert idp.token_requests == []
    assert_nothing_created(fed_platform, browser)


def test_missing_national_id_for_a_new_subject(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    idp.user = make_user(national_id=None)
    at = go_to_provider(browser, idp)
    body = assert_problem(come_back(browser, at), 502, "federation_no_national_id")
    assert "national ID" in body["detail"]
    assert_nothing_created(fed_platform, browser)


def test_malformed_national_id_from_the_provider(
    browser: TestClient, fed_platform: Platform, idp: LocalIdP
) -> None:
    idp.user = make_user(national_id=NUMBER[:-1] + str((int(NUMBER[-1]) + 1) % 10))
    at = go_to_provider(browser, idp)
    assert_problem(come_back(browser, at), 502, "federation_failed")
    assert_nothing_created(fed_platform, browser)


def test_federation_is_off_unless_configured(client: TestClient) -> None:
    page = client.get(
        redirect_target(client.get("/login", follow_redirects=False)), follow_redirects=False
    )
    assert page.status_code == 200
    assert not [href for href, _text in links_of(page.text) if "/auth/federated/" in href]
    assert_problem(
        client.get("/auth/federated/start", follow_redirects=False), 403, "federation_disabled"
    )
