"""JSON bodies: too deep, lone surrogates and broken UTF-8 are 400 problems on every route."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from smartcity.core import jsonbody
from smartcity.core.auth import Role
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from tests.conftest import Actors, bearer
from tests.support.routes import api_routes

CODES = {"json_too_deep", "lone_surrogate", "invalid_encoding"}
BODIES = {
    # Far deeper than json.loads can follow (RecursionError), and just past the limit.
    "very deep": (b"[" * 50_000 + b"]" * 50_000, "json_too_deep"),
    "too deep": (b'{"question": ' + b"[" * 65 + b"]" * 65 + b"}", "json_too_deep"),
    "escaped lone surrogate": (b'{"question": "\\ud800", "name": "\\udfff"}', "lone_surrogate"),
    "raw lone surrogate": (b'{"question": "\xed\xa0\x80", "name": "x"}', "invalid_encoding"),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=20,
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@given(json_values)
def test_ordinary_documents_pass(value: Any) -> None:
    for ensure_ascii in (True, False):
        assert jsonbody.problem(json.dumps(value, ensure_ascii=ensure_ascii).encode()) is None


@given(st.integers(min_value=1, max_value=200), st.booleans())
def test_depth_is_counted_outside_strings(depth: int, brackets_in_strings: bool) -> None:
    document = _nested(depth)
    if brackets_in_strings:
        document = [document, "[[[[{{{{" * 20, ']\\"[' * 20]
        depth += 1
    found = jsonbody.problem(json.dumps(document).encode())
    assert (found is not None and found.code == "json_too_deep") == (depth > jsonbody.MAX_DEPTH)


@given(st.text(max_size=10), st.sampled_from(["\\ud800", "\\udbff", "\\udc00", "\\uDFFF"]))
def test_a_lone_surrogate_escape_is_found_wherever_it_is(text: str, escape: str) -> None:
    encoded = json.dumps(text)[1:-1]
    for body in (f'["{escape}{encoded}"]', f'{{"{encoded}{escape}": 1}}'):
        found = jsonbody.problem(body.encode())
        assert found is not None and found.code == "lone_surrogate"


@given(st.text(max_size=10))
def test_surrogate_pairs_and_escaped_backslashes_are_not_lone(text: str) -> None:
    encoded = json.dumps(text + "😀")[1:-1]  # ensure_ascii: 😀 is the pair \ud83d\ude00
    assert jsonbody.problem(f'["{encoded}", "\\\\ud800"]'.encode()) is None


def _concrete(path: str) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]+)?\}", lambda m: str(uuid.uuid4()), path)


@pytest.fixture
def admin_cookie(platform: Platform) -> tuple[str, str]:
    from smartcity.core.auth import system_actor
    from smartcity.modules.identity import service

    with platform.unit_of_work(system_actor("test")) as uow:
        admin = service.create_staff(uow, role=Role.ADMIN, name="a", email="a@test.invalid")
        token, row = service.open_session(uow.session, admin, kind="portal", scope="", hours=1)
        return token, row.csrf_token


# CKAN's Action API answers in CKAN's envelope, which has no code: its message names the refusal.
CKAN_ACTIONS = ("/api/3/action/", "/api/action/")
CKAN_MESSAGES = {
    "invalid_encoding": "UTF-8",
    "lone_surrogate": "lone surrogate",
    "json_too_deep": "nested deeper",
}


def _refusal_code(route_path: str, response: Any) -> str | None:
    body = response.json()
    if not route_path.startswith(CKAN_ACTIONS):
        return body.get("code")
    message = body["error"]["message"] if body.get("success") is False else ""
    return next((code for code, words in CKAN_MESSAGES.items() if words in message), None)


def test_every_json_route_answers_bad_bodies_with_400(
    client: TestClient, app: Any, actors: Actors, admin_cookie: tuple[str, str]
) -> None:
    headers = {
        "content-type": "application/json",
        "x-csrf-token": admin_cookie[1],
        **bearer(actors.token(Role.ADMIN)),
    }
    refused = checked = 0
    failures = []
    for route_path, route in api_routes(app):
        for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            if route_path == "/api/v1/chatbot/line/webhook":
                continue  # signed: tested with the chatbot, signature first
            for name, (body, code) in BODIES.items():
                client.cookies.set(SESSION_COOKIE, admin_cookie[0])
                # A CKAN action's name is checked before its body: ask a real one.
                path = route_path.replace("{name}", "package_search")
                response = client.request(method, _concrete(path), content=body, headers=headers)
                checked += 1
                if response.status_code in (401, 403):
                    continue  # a rule the administrator does not pass comes first
                if response.status_code == 400 and _refusal_code(route_path, response) == code:
                    refused += 1
                else:
                    failures.append(f"{method} {route_path} {name}: {response.status_code}")
    assert not failures, "\n".join(failures)
    # Routes only a citizen, a vendor or a device may call (ballots, proposals, uplinks) turn
    # the administrator away first; every other route must have refused the body.
    assert checked > 200 and refused > checked * 0.5


def test_lone_surrogates_in_query_strings_and_forms_are_400(client: TestClient) -> None:
    for path in ("/chat?x=%ED%A0%80", "/api/v1/airquality/ranking?day=%ED%A0%80"):
        response = client.get(path)
        assert response.status_code == 400 and response.json()["code"] == "invalid_encoding"
    response = client.post(
        "/chat/ask",
        content=b"question=%ED%A0%80%E8%AB%8B%E5%95%8F",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_encoding"
    # Percent-escaped UTF-8 is what forms send: still answered.
    fine = client.post(
        "/chat/ask",
        content=b"question=%E8%AB%8B%E5%95%8F",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert fine.status_code == 200


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
@pytest.mark.parametrize(("name", "case"), list(BODIES.items()))
def test_sensorthings_reads_its_own_body_with_the_same_checks(
    client: TestClient, actors: Actors, name: str, case: tuple[bytes, str], content_type: str
) -> None:
    body, code = case
    headers = {**bearer(actors.token(Role.ADMIN)), "content-type": content_type}
    response = client.post("/sta/v1.1/Things", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
