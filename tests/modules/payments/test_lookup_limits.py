"""Bill look-ups are rate limited per person, but a provider's counters are not starved."""

from __future__ import annotations

from tests.modules.payments.conftest import Pay


def test_people_are_limited_and_a_providers_counters_are_not(pay: Pay) -> None:
    bill = pay.issue()
    path = f"/api/v1/payments/bills/{bill['reference']}"
    officer = pay.officer("TWD")
    answers = [pay.client.get(path, headers=officer).status_code for _ in range(120)]
    assert answers == [200] * 120
    refused = pay.client.get(path, headers=officer)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # One provider key stands for thousands of store counters scanning bills.
    provider = pay.provider()
    assert {pay.client.get(path, headers=provider).status_code for _ in range(300)} == {200}
