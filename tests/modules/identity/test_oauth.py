"""The platform as an OAuth 2.0 authorisation server (RFC 6749 §4.1 with RFC 7636 PKCE).

Every flow is driven through the HTTP interface with redirects followed by hand,
the way a browser and a client application would, so the tests see the exact
redirects, cookies, forms and error bodies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.identity import service
from smartcity.modules.identity.models import AuthorizationCode, PortalSession
from smartcity.modules.identity.oauth import server
from smartcity.modules.identity.seed import national_id
from tests.conftest import bearer

PASSWORD = "correct horse battery"
APP_ID = "parking-app"
APP_REDIRECT = "https://parking.example/callback"
PROBLEM_JSON = "application/problem+json"


# -- helpers ---------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """The forms of a page: action, hidden/named inputs and submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
        elif tag == "input" and self.forms and "name" in values:
            if values.get("type") == "hidden":
                self.forms[-1].fields[values["name"]] = values.get("value", "")
        elif tag == "button" and self.forms and "name" in values:
            self.forms[-1].buttons.append((values["name"], values.get("value", "")))
        elif tag == "a" and "href" in values:
            self.links.append(values["href"])


def parse_page(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser


def the_form(html: str, action: str) -> Form:
    matching = [f for f in parse_page(html).forms if f.action == action]
    assert len(matching) == 1, f"expected one form posting to {action}"
    return matching[0]


def pkce() -> tuple[str, str]:
    """A fresh verifier and its S256 challenge (computed here, not by the server)."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
        .rstrip(b"=")
        .decode()
    )
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {
        key: values[0]
        for key, values in parse_qs(urlsplit(location).query, keep_blank_values=True).items()
    }


def assert_redirect(response: Any, target: str) -> dict[str, str]:
    """The response redirects to `target` (scheme, host and path); returns its query."""
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    parts = urlsplit(location)
    expected = urlsplit(target)
    assert (parts.scheme, parts.netloc, parts.path) == (
        expected.scheme,
        expected.netloc,
        expected.path,
    ), location
    return query_of(location)


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "location" not in response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code
    return body


def assert_oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    """A problem+json body that also carries the RFC 6749 §5.2 error fields."""
    body = assert_problem(response, status, f"oauth_{error}")
    assert body["error"] == error
    assert isinstance(body["error_description"], str) and body["error_description"]
    return body


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Person:
    id: str
    national_id: str
    masked: str
    name: str


def make_person(
    platform: Platform, body: int, name: str = "王小明", password: str | None = PASSWORD
) -> Person:
    number = national_id("A", 1, body)
    with platform.unit_of_work(system_actor("test")) as uow:
        user = service.register_citizen(
            uow, platform.keys, national_id=number, name=name, password=password
        )
        return Person(str(user.id), number, str(user.national_id_masked), name)


@pytest.fixture
def person(platform: Platform) -> Person:
    return make_person(platform, 3_141_592)


def register_app(
    platform: Platform,
    *,
    client_id: str = APP_ID,
    confidential: bool = False,
    redirect_uris: tuple[str, ...] = (APP_REDIRECT,),
    scopes: tuple[str, ...] = ("openid", "profile", "payments"),
) -> str | None:
    with platform.unit_of_work(system_actor("test")) as uow:
        _client, secret = server.register_client(
            uow,
            client_id=client_id,
            name="停車 App Parking",
            redirect_uris=list(redirect_uris),
            scopes=list(scopes),
            first_party=False,
            confidential=confidential,
        )
        return secret


@pytest.fixture
def app_client(platform: Platform) -> None:
    register_app(platform)


def authorize_params(
    challenge: str,
    *,
    client_id: str = APP_ID,
    redirect_uri: str = APP_REDIRECT,
    scope: str = "openid profile",
    state: str = "xyz-state",
    **extra: str | None,
) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def submit_login(client: TestClient, page: Any, login: str, password: str) -> Any:
    """Fill in and post the sign-in form of `page` (hidden fields included)."""
    assert page.status_code in (200, 401), page.text
    form = the_form(page.text, "/oauth/authorize")
    assert form.method == "post"
    assert form.fields["login_csrf"] == client.cookies.get("sc_login_csrf")
    return client.post(
        "/oauth/authorize",
        data={**form.fields, "login": login, "password": password},
        follow_redirects=False,
    )


def consent_page(client: TestClient, person: Person, params: dict[str, str]) -> Any:
    """Sign `person` in at the authorisation endpoint; returns the consent page."""
    page = client.get("/oauth/authorize", params=params, follow_redirects=False)
    assert page.status_code == 200
    response = submit_login(client, page, person.national_id, PASSWORD)
    assert response.status_code == 200, response.text
    assert "sc_login" in client.cookies
    return response


def decide(client: TestClient, page: Any, decision: str) -> Any:
    form = the_form(page.text, "/oauth/authorize/consent")
    assert ("decision", decision) in form.buttons
    return client.post(
        "/oauth/authorize/consent",
        data={**form.fields, "decision": decision},
        follow_redirects=False,
    )


def obtain_code(client: TestClient, person: Person, challenge: str, **params: str) -> str:
    page = consent_page(client, person, authorize_params(challenge, **params))
    query = assert_redirect(decide(client, page, "allow"), params.get("redirect_uri", APP_REDIRECT))
    assert query["state"] == params.get("state", "xyz-state")
    assert "error" not in query
    return query["code"]


def redeem(
    client: TestClient, code: str, verifier: str, /, **overrides: str | None
) -> httpx.Response:
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_REDIRECT,
        "client_id": APP_ID,
        "code_verifier": verifier,
    }
    data.update(overrides)
    response: httpx.Response = client.post(
        "/oauth/token", data={k: v for k, v in data.items() if v is not None}
    )
    return response


# -- the portal's own sign-in --------------------------------------------------------------


def test_portal_sign_in_end_to_end(client: TestClient, person: Person) -> None:
    start = client.get("/login", params={"next": "/me/profile"}, follow_redirects=False)
    query = assert_redirect(start, "/oauth/authorize")
    assert query["client_id"] == "portal"
    assert query["redirect_uri"] == "/auth/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["state"]
    assert "sc_oauth" in client.cookies

    page = client.get(start.headers["location"], follow_redirects=False)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    form = the_form(page.text, "/oauth/authorize")
    # The sign-in form carries the whole authorisation request and a double-submit token.
    for key in (
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ):
        assert form.fields[key] == query[key]
    assert form.fields["login_csrf"]
    assert client.cookies.get("sc_login_csrf") == form.fields["login_csrf"]

    signed_in = submit_login(client, page, person.national_id.lower(), PASSWORD)
    back = assert_redirect(signed_in, "/auth/callback")
    assert back["state"] == query["state"]
    assert back["code"]
    assert "sc_login" in client.cookies
    assert "sc_session" not in client.cookies

    callback = client.get(signed_in.headers["location"], follow_redirects=False)
    assert_redirect(callback, "/me/profile")
    assert client.cookies.get("sc_session")
    assert "sc_oauth" not in client.cookies

    profile = client.get("/me/profile", follow_redirects=False)
    assert profile.status_code == 200
    assert person.masked in profile.text
    assert person.national_id not in profile.text
    assert person.name in profile.text

    # The sign-in flow is over: replaying the callback is refused and opens no new session.
    session_cookie = client.cookies.get("sc_session")
    replay = client.get(signed_in.headers["location"], follow_redirects=False)
    assert_problem(replay, 403, "oauth_state_mismatch")
    assert client.cookies.get("sc_session") == session_cookie


def test_portal_callback_checks_the_state(client: TestClient, person: Person) -> None:
    page = client.get(
        client.get("/login", follow_redirects=False).headers["location"], follow_redirects=False
    )
    back = query_of(submit_login(client, page, person.national_id, PASSWORD).headers["location"])
    for state in ("", "someone-elses-state", "ü" + back["state"], back["state"] + "x"):
        refused = client.get(
            "/auth/callback", params={"code": back["code"], "state": state}, follow_redirects=False
        )
        assert_problem(refused, 403, "oauth_state_mismatch")
    assert "sc_session" not in client.cookies
    # The untouched callback still works: the refusals did not spend the code.
    ok = client.get("/auth/callback", params=back, follow_redirects=False)
    assert_redirect(ok, "/me")
    assert client.cookies.get("sc_session")


def test_wrong_password_shows_the_form_again_without_a_session(
    client: TestClient, platform: Platform, person: Person
) -> None:
    page = client.get(
        client.get("/login", follow_redirects=False).headers["location"], follow_redirects=False
    )
    refused = submit_login(client, page, person.national_id, "not the password")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in refused.text
    # The page is the sign-in form again, still carrying the request, with a fresh token.
    retry = the_form(refused.text, "/oauth/authorize")
    assert retry.fields["client_id"] == "portal"
    assert retry.fields["login_csrf"] == client.cookies.get("sc_login_csrf")
    assert "sc_login" not in client.cookies
    assert "sc_session" not in client.cookies
    with platform.db.read_session() as session:
        assert session.execute(select(PortalSession)).scalars().all() == []
    assert client.get("/me/profile", follow_redirects=False).status_code == 303

    unknown = submit_login(client, refused, national_id("B", 2, 7_654_321), PASSWORD)
    assert unknown.status_code == 401
    assert "sc_login" not in client.cookies


def test_sign_in_form_needs_its_csrf_token(client: TestClient, person: Person) -> None:
    page = client.get(
        client.get("/login", follow_redirects=False).headers["location"], follow_redirects=False
    )
    fields = {
        **the_form(page.text, "/oauth/authorize").fields,
        "login": person.national_id,
        "password": PASSWORD,
    }

    for sent in ("", "wrong-token", "ü-not-ascii"):
        refused = client.post(
            "/oauth/authorize", data={**fields, "login_csrf": sent}, follow_redirects=False
        )
        assert_problem(refused, 403, "csrf_failed")
    missing = client.post(
        "/oauth/authorize",
        data={k: v for k, v in fields.items() if k != "login_csrf"},
        follow_redirects=False,
    )
    assert_problem(missing, 403, "csrf_failed")
    # The right token without its cookie (a cross-site post) is refused as well.
    client.cookies.delete("sc_login_csrf")
    cross_site = client.post("/oauth/authorize", data=fields, follow_redirects=False)
    assert_problem(cross_site, 403, "csrf_failed")
    assert "sc_login" not in client.cookies


# -- a third-party public client -------------------------------------------------------------


def test_third_party_public_client_full_flow(
    client: TestClient, platform: Platform, person: Person, app_client: None
) -> None:
    verifier, challenge = pkce()
    page = consent_page(client, person, authorize_params(challenge, scope="openid profile"))
    assert "停車 App Parking" in page.text
    assert "<code>openid</code>" in page.text and "<code>profile</code>" in page.text
    assert "<code>payments</code>" not in page.text
    form = the_form(page.text, "/oauth/authorize/consent")
    assert form.fields["consent_csrf"] == client.cookies.get("sc_login_csrf")

    query = assert_redirect(decide(client, page, "allow"), APP_REDIRECT)
    assert query["state"] == "xyz-state"
    code = query["code"]

    response = redeem(client, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    grant = response.json()
    assert grant["token_type"] == "Bearer"
    assert grant["scope"] == "openid profile"
    assert grant["expires_in"] == platform.settings.access_token_minutes * 60

    token = grant["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == person.id
    assert claims["client_id"] == APP_ID
    assert claims["iss"] == "http://testserver"
    assert claims["exp"] - claims["iat"] == grant["expires_in"]

    me = client.get("/api/v1/identity/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["id"] == person.id
    assert body["role"] == "citizen"
    assert body["credential"] == "jwt"
    assert body["scopes"] == ["openid", "profile"]
    assert body["national_id_masked"] == person.masked

    info = client.get("/oauth/userinfo", headers=bearer(token))
    assert info.status_code == 200
    assert info.json()["sub"] == person.id
    assert info.json()["name"] == person.name
    assert info.json()["role"] == "citizen"
    assert client.get("/oauth/userinfo").status_code == 401

    # The token grants only what was asked: the payments API is out of its scope.
    assert client.get("/api/v1/identity/me/bindings", headers=bearer(token)).status_code == 403


def test_signed_in_person_sees_consent_without_signing_in_again(
    client: TestClient, person: Person, app_client: None
) -> None:
    _verifier, challenge = pkce()
    consent_page(client, person, authorize_params(challenge))
    _verifier2, challenge2 = pkce()
    again = client.get(
        "/oauth/authorize",
        params=authorize_params(challenge2, state="second"),
        follow_redirects=False,
    )
    assert again.status_code == 200
    form = the_form(again.text, "/oauth/authorize/consent")
    assert form.fields["state"] == "second"
    assert form.fields["code_challenge"] == challenge2


def test_deny_redirects_with_access_denied(
    client: TestClient, platform: Platform, person: Person, app_client: None
) -> None:
    _verifier, challenge = pkce()
    page = consent_page(client, person, authorize_params(challenge))
    query = assert_redirect(decide(client, page, "deny"), APP_REDIRECT)
    assert query["error"] == "access_denied"
    assert query["state"] == "xyz-state"
    assert "code" not in query
    with platform.db.read_session() as session:
        assert session.execute(select(AuthorizationCode)).scalars().all() == []


def test_consent_needs_its_csrf_token(
    client: TestClient, platform: Platform, person: Person, app_client: None
) -> None:
    _verifier, challenge = pkce()
    page = consent_page(client, person, authorize_params(challenge))
    form = the_form(page.text, "/oauth/authorize/consent")
    for sent in ("forged", "ü"):
        forged = client.post(
            "/oauth/authorize/consent",
            data={**form.fields, "consent_csrf": sent, "decision": "allow"},
            follow_redirects=False,
        )
        assert_problem(forged, 403, "csrf_failed")
    missing = client.post(
        "/oauth/authorize/consent",
        data={**{k: v for k, v in form.fields.items() if k != "consent_csrf"}, "decision": "allow"},
        follow_redirects=False,
    )
    assert_problem(missing, 403, "csrf_failed")
    with platform.db.read_session() as session:
        assert session.execute(select(AuthorizationCode)).scalars().all() == []


def test_a_code_is_single_use(client: TestClient, person: Person, app_client: None) -> None:
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge)
    assert redeem(client, code, verifier).status_code == 200
    again = redeem(client, code, verifier)
    assert_oauth_error(again, 400, "invalid_grant")
    assert "access_token" not in again.json()


@pytest.mark.parametrize(
    "change",
    [
        "verifier",
        "short_verifier",
        "no_verifier",
        "redirect_uri",
        "no_redirect_uri",
        "other_client",
        "unknown_code",
    ],
)
def test_token_request_must_match_the_authorisation(
    client: TestClient, platform: Platform, person: Person, app_client: None, change: str
) -> None:
    register_app(platform, client_id="other-app", redirect_uris=(APP_REDIRECT,))
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge)
    cases: dict[str, dict[str, str | None]] = {
        "verifier": {"code_verifier": pkce()[0]},
        "short_verifier": {"code_verifier": verifier[:20]},
        "no_verifier": {"code_verifier": None},
        "redirect_uri": {"redirect_uri": "https://parking.example/other"},
        "no_redirect_uri": {"redirect_uri": None},
        "other_client": {"client_id": "other-app"},
        "unknown_code": {"code": secrets.token_urlsafe(32)},
    }
    overrides = cases[change]
    assert_oauth_error(redeem(client, code, verifier, **overrides), 400, "invalid_grant")
    # A refused attempt does not spend the code for its rightful holder.
    assert redeem(client, code, verifier).status_code == 200


def test_expired_code_is_refused(
    client: TestClient, person: Person, app_client: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge)
    issued = utcnow()
    monkeypatch.setattr(server, "utcnow", lambda: issued + timedelta(seconds=61))
    assert_oauth_error(redeem(client, code, verifier), 400, "invalid_grant")
    monkeypatch.setattr(server, "utcnow", lambda: issued + timedelta(seconds=50))
    assert redeem(client, code, verifier).status_code == 200


def test_code_expiry_is_read_from_the_stored_row(
    client: TestClient, platform: Platform, person: Person, app_client: None
) -> None:
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge)
    with platform.db.read_session() as session:
        row = session.execute(select(AuthorizationCode)).scalar_one()
        lifetime = row.expires_at - utcnow()
    assert timedelta(seconds=50) < lifetime <= timedelta(seconds=60)
    with platform.db.engine.begin() as connection:
        connection.execute(
            update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_oauth_error(redeem(client, code, verifier), 400, "invalid_grant")


@pytest.mark.parametrize(
    "params",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": None},
        {"code_challenge_method": "plain"},
        {"code_challenge": "too-short"},
    ],
)
def test_authorize_without_s256_pkce_redirects_invalid_request(
    client: TestClient, person: Person, app_client: None, params: dict[str, str | None]
) -> None:
    _verifier, challenge = pkce()
    request = authorize_params(challenge, **params)  # type: ignore[arg-type]
    response = client.get("/oauth/authorize", params=request, follow_redirects=False)
    query = assert_redirect(response, APP_REDIRECT)
    assert query["error"] == "invalid_request"
    assert query["state"] == "xyz-state"
    assert "code" not in query


def test_authorize_errors_that_redirect(client: TestClient, app_client: None) -> None:
    _verifier, challenge = pkce()
    wrong_type = client.get(
        "/oauth/authorize",
        follow_redirects=False,
        params=authorize_params(challenge, response_type="token"),
    )
    assert assert_redirect(wrong_type, APP_REDIRECT)["error"] == "unsupported_response_type"
    outside_scope = client.get(
        "/oauth/authorize",
        follow_redirects=False,
        params=authorize_params(challenge, scope="openid bindings"),
    )
    assert assert_redirect(outside_scope, APP_REDIRECT)["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "no-such-app"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": APP_REDIRECT + "/extra"},
        {"redirect_uri": None},
    ],
)
def test_unknown_client_or_redirect_uri_is_never_redirected_to(
    client: TestClient, app_client: None, params: dict[str, str | None]
) -> None:
    _verifier, challenge = pkce()
    # Even a broken PKCE request must not reach the unverified redirect URI.
    request = authorize_params(challenge, code_challenge_method="plain", **params)  # type: ignore[arg-type]
    response = client.get("/oauth/authorize", params=request, follow_redirects=False)
    body = assert_problem(response, 400)
    assert body["error"] == ("invalid_client" if "client_id" in params else "invalid_request")
    # A browser gets an error page, still not a redirect.
    page = client.get(
        "/oauth/authorize", params=request, follow_redirects=False, headers={"Accept": "text/html"}
    )
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "location" not in page.headers


# -- a confidential client ------------------------------------------------------------------


def test_confidential_client_must_authenticate(
    client: TestClient, platform: Platform, person: Person
) -> None:
    secret = register_app(platform, client_id="city-bank", confidential=True)
    assert secret
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge, client_id="city-bank")

    missing = redeem(client, code, verifier, client_id="city-bank")
    assert_oauth_error(missing, 401, "invalid_client")
    assert "www-authenticate" in missing.headers
    wrong_post = redeem(client, code, verifier, client_id="city-bank", client_secret=secret + "x")
    assert_oauth_error(wrong_post, 401, "invalid_client")
    basic_wrong = base64.b64encode(f"city-bank:{secret[::-1]}".encode()).decode()
    wrong_basic = client.post(
        "/oauth/token",
        headers={"Authorization": f"Basic {basic_wrong}"},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert_oauth_error(wrong_basic, 401, "invalid_client")
    malformed = client.post(
        "/oauth/token",
        headers={"Authorization": "Basic !!!"},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert_oauth_error(malformed, 401, "invalid_client")

    basic = base64.b64encode(f"city-bank:{secret}".encode()).decode()
    ok = client.post(
        "/oauth/token",
        headers={"Authorization": f"Basic {basic}"},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["cache-control"] == "no-store"
    token = ok.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["client_id"] == "city-bank"
    assert client.get("/api/v1/identity/me", headers=bearer(token)).json()["id"] == person.id


def test_basic_credentials_are_form_decoded(
    client: TestClient, platform: Platform, person: Person
) -> None:
    # RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding, so an id
    # with a colon or a space survives the trip.
    secret = register_app(platform, client_id="city bank:tw", confidential=True)
    assert secret
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge, client_id="city bank:tw")
    basic = base64.b64encode(f"{quote_plus('city bank:tw')}:{quote_plus(secret)}".encode())
    ok = client.post(
        "/oauth/token",
        headers={"Authorization": f"Basic {basic.decode()}"},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert ok.status_code == 200, ok.text
    assert (
        jwt.decode(ok.json()["access_token"], options={"verify_signature": False})["client_id"]
        == "city bank:tw"
    )


def test_concurrent_redemptions_of_one_code_issue_one_token(
    client: TestClient, person: Person, app_client: None
) -> None:
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge)
    barrier = threading.Barrier(4)

    def attempt(_: int) -> int:
        barrier.wait()
        return redeem(client, code, verifier).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(attempt, range(4)))
    assert statuses == [200, 400, 400, 400]


def test_confidential_client_may_post_its_secret(
    client: TestClient, platform: Platform, person: Person
) -> None:
    secret = register_app(platform, client_id="city-bank", confidential=True)
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge, client_id="city-bank")
    ok = redeem(client, code, verifier, client_id="city-bank", client_secret=secret)
    assert ok.status_code == 200, ok.text


def test_token_endpoint_refuses_other_grants_and_unknown_clients(
    client: TestClient, app_client: None
) -> None:
    assert_oauth_error(
        client.post("/oauth/token", data={"grant_type": "password", "client_id": APP_ID}),
        400,
        "unsupported_grant_type",
    )
    assert_oauth_error(
        client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "no-such-app",
                "code": "x",
                "code_verifier": pkce()[0],
                "redirect_uri": APP_REDIRECT,
            },
        ),
        401,
        "invalid_client",
    )
    # Form encoding is required (RFC 6749 §4.1.3), not JSON.
    as_json = client.post("/oauth/token", json={"grant_type": "authorization_code"})
    assert 400 <= as_json.status_code < 500
    assert as_json.headers["content-type"].startswith(PROBLEM_JSON)


# -- access tokens as bearer credentials ---------------------------------------------------------


@pytest.fixture
def issued(client: TestClient, person: Person, app_client: None) -> str:
    verifier, challenge = pkce()
    code = obtain_code(client, person, challenge)
    response = redeem(client, code, verifier)
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


def _forge(
    header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes] | None
) -> str:
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = b64url(sign(signing_input.encode())) if sign else ""
    return f"{signing_input}.{signature}"


def test_forged_or_stale_tokens_are_refused(
    client: TestClient, platform: Platform, issued: str
) -> None:
    claims = jwt.decode(issued, options={"verify_signature": False})
    assert client.get("/api/v1/identity/me", headers=bearer(issued)).status_code == 200
    public = platform.keys.token_public_key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())

    def signed(**changes: Any) -> str:
        return jwt.encode(
            {**claims, **changes},
            platform.keys.token_key,
            algorithm="EdDSA",
            headers={"typ": "at+jwt"},
        )

    forged = {
        "alg none": _forge({"alg": "none", "typ": "at+jwt"}, claims, None),
        "alg None": _forge({"alg": "None"}, claims, None),
        "HS256 raw public key": _forge(
            {"alg": "HS256", "typ": "at+jwt"},
            claims,
            lambda data: hmac.new(raw, data, hashlib.sha256).digest(),
        ),
        "HS256 PEM public key": _forge(
            {"alg": "HS256", "typ": "at+jwt"},
            claims,
            lambda data: hmac.new(pem, data, hashlib.sha256).digest(),
        ),
        "HS256 JWK x": _forge(
            {"alg": "HS256"},
            claims,
            lambda data: hmac.new(b64url(raw).encode(), data, hashlib.sha256).digest(),
        ),
        "wrong audience": signed(aud="someone-else"),
        "no audience": jwt.encode(
            {k: v for k, v in claims.items() if k != "aud"},
            platform.keys.token_key,
            algorithm="EdDSA",
        ),
        "wrong issuer": signed(iss="https://evil.example"),
        "expired": signed(iat=now - 7200, exp=now - 3600),
        "unknown subject": signed(sub=str(uuid.uuid4())),
        "other key": jwt.encode(claims, _other_key(), algorithm="EdDSA"),
        "tampered payload": _swap_payload(issued, {**claims, "role": "admin"}),
        "garbage": "not.a.jwt",
    }
    for label, token in forged.items():
        response = client.get("/api/v1/identity/me", headers=bearer(token))
        assert response.status_code == 401, label
        assert response.json()["code"] == "invalid_token", label
        assert client.get("/oauth/userinfo", headers=bearer(token)).status_code == 401, label


def _other_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    header, _payload, signature = token.split(".")
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


def test_jwks_verifies_issued_tokens(client: TestClient, platform: Platform, issued: str) -> None:
    jwks = client.get("/oauth/jwks.json")
    assert jwks.status_code == 200
    keys = jwks.json()["keys"]
    assert len(keys) == 1
    jwk = keys[0]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in jwk  # never the private half

    key = jwt.PyJWK(jwk)
    claims = jwt.decode(
        issued, key.key, algorithms=["EdDSA"], audience="smartcity-api", issuer="http://testserver"
    )
    assert claims["scope"] == "openid profile"
    assert claims["role"] == "citizen"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            _swap_payload(issued, {**claims, "role": "admin"}),
            key.key,
            algorithms=["EdDSA"],
            audience="smartcity-api",
        )


def test_discovery_metadata(client: TestClient) -> None:
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json()
    issuer = meta["issuer"]
    assert issuer == "http://testserver"
    assert meta["authorization_endpoint"] == f"{issuer}/oauth/authorize"
    assert meta["token_endpoint"] == f"{issuer}/oauth/token"
    assert meta["userinfo_endpoint"] == f"{issuer}/oauth/userinfo"
    assert meta["jwks_uri"] == f"{issuer}/oauth/jwks.json"
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"none", "client_secret_basic", "client_secret_post"} <= set(
        meta["token_endpoint_auth_methods_supported"]
    )
    assert {"openid", "profile"} <= set(meta["scopes_supported"])
    # Every advertised endpoint exists.
    for key in ("jwks_uri", "authorization_endpoint"):
        assert client.get(urlsplit(meta[key]).path, follow_redirects=False).status_code != 404
    assert (
        client.post(urlsplit(meta["token_endpoint"]).path, data={"grant_type": "x"}).status_code
        != 404
    )
