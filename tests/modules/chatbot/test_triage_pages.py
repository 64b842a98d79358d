"""Triage in the browser: staff find the item by searching, never by typing its id."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
from tests.support.portal import sign_in_staff

MISSED = "家裡的冷氣機要怎麼丟掉"


def test_staff_attach_a_missed_question_to_an_item_they_searched_for(
    loaded: Platform, client: TestClient
) -> None:
    miss = client.post("/api/v1/chatbot/ask", json={"question": MISSED}).json()
    assert miss["answered"] is False
    csrf = sign_in_staff(loaded, client)
    queue = client.get("/staff/chatbot/triage")
    assert queue.status_code == 200 and MISSED in queue.text
    assert 'placeholder="項目編號' not in queue.text
    search = f"/staff/chatbot/triage/{miss['question_id']}/search"
    assert f'hx-get="{search}"' in queue.text

    partial = client.get(search, params={"q": "大型廢棄物"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "大型廢棄物如何預約清運？" in partial.text
    (item_id,) = re.findall(r'name="item" value="([0-9a-f-]{36})"', partial.text)[:1]
    # Without JavaScript the same search is a page of its own.
    page = client.get(search, params={"q": "大型廢棄物"})
    assert "<html" in page.text and item_id in page.text
    nothing = client.get(search, params={"q": "   "}, headers={"HX-Request": "true"})
    assert 'name="item"' not in nothing.text and "沒有相符" in nothing.text

    attached = client.post(
        f"/staff/chatbot/triage/{miss['question_id']}/resolve",
        data={"csrf_token": csrf, "item": item_id},
        follow_redirects=False,
    )
    assert attached.status_code == 303
    assert MISSED not in client.get("/staff/chatbot/triage").text
    again = client.post("/api/v1/chatbot/ask", json={"question": MISSED}).json()
    assert again["answered"] is True and again["source_id"] == "GIP_1005"
