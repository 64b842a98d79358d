"""SQL-like text in q, fq, filters and sort is a Validation Error; nothing is ever a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.modules.opendata.conftest import call, result

pytestmark = pytest.mark.usefixtures("with_catalogue")

SQL_LIKE = [
    "x'; DROP TABLE opendata_datasets; --",
    "1 OR 1=1",
    "a UNION SELECT name FROM identity_users",
    "name /* comment */",
    "pg_sleep(5)",
]


def _items(client: TestClient) -> str:
    return str(result(client, "package_show", id="payment-items")["resources"][0]["id"])


@pytest.mark.parametrize("text", SQL_LIKE)
def test_sql_like_text_is_a_validation_error_everywhere(client: TestClient, text: str) -> None:
    resource_id = _items(client)
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("package_search", {"q": text}),
        ("package_search", {"fq": f"tags:{text}"}),
        ("package_search", {"fq": f'organization:"{text}"'}),
        ("package_search", {"sort": text}),
        ("datastore_search", {"resource_id": resource_id, "q": text}),
        ("datastore_search", {"resource_id": resource_id, "filters": {"code": text}}),
        ("datastore_search", {"resource_id": resource_id, "sort": text}),
        ("datastore_search", {"resource_id": resource_id, "fields": text}),
    ]
    for action, params in attempts:
        response = call(client, action, **params)
        assert response.status_code == 409, (action, params, response.text)
        assert response.json()["error"]["__type"] == "Validation Error"
    # The catalogue is whole afterwards.
    assert "payment-items" in result(client, "package_list")


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from(["package_search", "datastore_search", "package_show", "tag_list"]),
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "fq",
                "sort",
                "rows",
                "start",
                "facet.field",
                "filters",
                "fields",
                "limit",
                "offset",
                "records_format",
                "include_total",
                "id",
                "query",
            ]
        ),
        JSONISH,
        max_size=4,
    ),
)
def test_no_input_is_a_server_error(
    client: TestClient, action: str, params: dict[str, Any]
) -> None:
    if action == "datastore_search":
        params["resource_id"] = _items(client)
    response = call(client, action, **params)
    assert response.status_code in (200, 400, 404, 409), response.text
    body = response.json()
    if "success" not in body:
        # The platform's own input guard (NUL characters) answers before CKAN's routes do.
        assert response.status_code == 400 and body["code"], response.text
        return
    assert body["success"] is (response.status_code == 200), response.text
