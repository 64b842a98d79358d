"""The security headers: a Content-Security-Policy without inline script on every response,
no framing, and in production HSTS and Secure on every cookie the platform sets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.app import build_platform, create_app
from smartcity.core.keys import KeyRing
from smartcity.core.settings import Settings
from tests.modules.identity.test_oauth import (
    APP_REDIRECT,
    PASSWORD,
    Person,
    authorize_params,
    consent_page,
    make_person,
    pkce,
    register_app,
    submit_login,
)
from tests.support.markup import start_tags

EVERY_COOKIE = {"sc_oauth", "sc_login_csrf", "sc_login", "sc_session", "sc_device", "sc_lang"}


def directives(response: Any) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers["content-security-policy"]
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_every_kind_of_response_carries_the_strict_policy(client: TestClient) -> None:
    answers = [
        client.get("/"),  # a page
        client.get("/livinglab"),  # a public page with charts
        client.get("/api/v1/transparency/checkpoint"),  # JSON
        client.get("/no/such/page", headers={"accept": "text/html"}),  # an error page
        client.get("/api/v1/no-such-thing"),  # a problem document
        client.get("/static/app.css"),  # a static file
    ]
    for answer in answers:
        assert_strict(directives(answer))
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        # Development and test run on plain HTTP: no HSTS there.
        assert "strict-transport-security" not in answer.headers


def test_pages_load_only_their_own_scripts_and_style_sheets(client: TestClient) -> None:
    page = client.get("/livinglab")
    tags = list(start_tags(page.text))
    scripts = [dict(attributes).get("src", "") for tag, attributes in tags if tag == "script"]
    assert scripts == ["/static/vendor/htmx-2.0.11.min.js", "/static/app.js"]
    # htmx is told to need neither eval nor inline styles, which the policy refuses.
    (config,) = [dict(a)["content"] for tag, a in tags if dict(a).get("name") == "htmx-config"]
    assert '"allowEval":false' in config and '"includeIndicatorStyles":false' in config
    assert client.get("/static/app.js").status_code == 200


def _origin_allowed(url: str, sources: list[str]) -> bool:
    if url.startswith("/"):
        return "'self'" in sources
    return any(url.startswith(source + "/") for source in sources if "://" in source)


def test_the_api_docs_load_swagger_ui_without_inline_script(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    policy = directives(docs)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in str(policy)
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    tags = list(start_tags(docs.text))
    scripts = [dict(a).get("src") for tag, a in tags if tag == "script"]
    assert scripts and all(src and _origin_allowed(src, policy["script-src"]) for src in scripts)
    sheets = [dict(a)["href"] for tag, a in tags if tag == "link" and ("rel", "stylesheet") in a]
    assert sheets and all(_origin_allowed(href, policy["style-src"]) for href in sheets)
    (root,) = [dict(a) for tag, a in tags if dict(a).get("id") == "swagger-ui"]
    assert client.get(root["data-openapi-url"]).json()["info"]["title"] == "smartcity"
    assert client.get("/static/swagger-init.js").status_code == 200
    assert_strict(policy)


def test_the_api_docs_need_no_other_host(client: TestClient) -> None:
    docs = client.get("/docs")
    urls = [
        value
        for _tag, attributes in start_tags(docs.text)
        for name, value in attributes
        if name in ("src", "href")
    ]
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls)
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
    bundle = client.get("/static/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text


def test_oauth_consent_may_lead_back_to_the_registered_client_only(
    client: TestClient, platform: Any
) -> None:
    register_app(platform)
    person = make_person(platform, 2_718_281)
    _verifier, challenge = pkce()
    page = consent_page(client, person, authorize_params(challenge))
    policy = directives(page)
    assert policy["form-action"] == ["'self'", "https://parking.example"]
    assert APP_REDIRECT.startswith("https://parking.example/")
    assert policy["script-src"] == ["'self'"]
    assert_strict(directives(client.get("/")))


# -- production ------------------------------------------------------------------------


@pytest.fixture
def production(
    database_url: str, settings_factory: Callable[..., Settings]
) -> Iterator[tuple[TestClient, Person]]:
    # An operator who forgot (or turned off) SMARTCITY_SECURE_COOKIES: production wins.
    settings = settings_factory(
        database_url, environment="production", secure_cookies=False, base_url="https://testserver"
    )
    platform = build_platform(settings, keys=KeyRing.ephemeral())
    person = make_person(platform, 1_414_213)
    with TestClient(create_app(platform=platform), base_url="https://testserver") as client:
        yield client, person
    platform.db.dispose()


def test_production_marks_every_cookie_secure_and_sends_hsts(
    production: tuple[TestClient, Person],
) -> None:
    client, person = production
    start = client.get("/login", params={"next": "/me"}, follow_redirects=False)
    page = client.get(start.headers["location"], follow_redirects=False)
    signed_in = submit_login(client, page, person.national_id, PASSWORD)
    callback = client.get(signed_in.headers["location"], follow_redirects=False)
    language = client.post("/lang", data={"locale": "en", "back": "/me"}, follow_redirects=False)
    me = client.get("/me", follow_redirects=False)
    assert me.status_code == 200  # the Secure cookies did make a working session

    cookies: dict[str, str] = {}
    for answer in (start, page, signed_in, callback, language, me):
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        assert_strict(directives(answer))
        for header in answer.headers.get_list("set-cookie"):
            (name,) = SimpleCookie(header).keys()
            cookies[name] = header
    assert set(cookies) == EVERY_COOKIE
    insecure = [h for h in cookies.values() if not re.search(r";\s*secure\b", h, re.I)]
    assert not insecure, insecure


def test_the_edge_makes_any_cookie_secure_under_https() -> None:
    from smartcity.core.headers import SecurityHeaders  # here, so the other tests run without it

    given = [
        (b"set-cookie", b"a=1; Path=/; HttpOnly"),
        (b"set-cookie", b"b=2; Path=/; Secure; HttpOnly"),
        (b"content-type", b"text/html"),
    ]
    secured = SecurityHeaders(https=True).apply(list(given))
    assert [v for n, v in secured if n == b"set-cookie"] == [
        b"a=1; Path=/; HttpOnly; Secure",
        given[1][1],  # already Secure: left as it was
    ]
    assert b"strict-transport-security" in dict(secured)
    plain = SecurityHeaders(https=False).apply(list(given))
    assert [v for n, v in plain if n == b"set-cookie"] == [given[0][1], given[1][1]]
    assert b"strict-transport-security" not in dict(plain)
