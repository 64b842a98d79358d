"""What every schemathesis case must show: no 5xx; each 4xx is problem+json with a code."""

from __future__ import annotations

from typing import Any

CKAN_ACTIONS = ("/api/3/action/", "/api/action/")


def call_and_check(case: Any, token: str, counter: dict[str, int]) -> None:
    """Send `case` with `token` as bearer, count the call, and check the answer's form."""
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    response = case.call()
    counter["calls"] = counter.get("calls", 0) + 1
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, (where, response.text[:500])
    if response.status_code >= 400 and case.path.startswith(CKAN_ACTIONS):
        # CKAN's Action API refuses in CKAN's own envelope, as its clients expect.
        body = response.json()
        assert body["success"] is False and body["error"]["__type"], (where, body)
        return
    if response.status_code >= 400 and response.status_code != 405:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/problem+json"), (where, content_type)
        assert "code" in response.json(), where
