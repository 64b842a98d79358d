"""The harvest console: the catalogue's office adds, edits, switches off and runs sources and
reads each run's report; other departments' officers are refused."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
from smartcity.modules.opendata import service
from tests.modules.opendata.conftest import result, serve
from tests.modules.opendata.test_harvest import other_city
from tests.support.portal import sign_in_staff

__all__ = ["other_city"]  # the second instance, a fixture of the harvest tests

pytestmark = pytest.mark.usefixtures("with_catalogue")

HOME = "/staff/opendata/harvest"


def test_the_office_keeps_sources_and_reads_each_runs_report(
    platform: Platform, client: TestClient, other_city: Platform
) -> None:
    csrf = sign_in_staff(platform, client, "DOIT")
    with serve(other_city) as kaohsiung:
        added = client.post(
            HOME,
            data={"name": "kaohsiung", "url": kaohsiung, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert added.status_code == 303 and added.headers["location"] == f"{HOME}/kaohsiung"
        assert "kaohsiung" in client.get(HOME).text

        ran = client.post(f"{HOME}/kaohsiung/run", data={"csrf_token": csrf})
        assert ran.status_code == 200
        assert 'data-run-status="ok"' in ran.text
        added_names = re.search(r'data-changes="added">(.*?)</dd>', ran.text, re.S)
        assert added_names and "kaohsiung-payment-items" in added_names.group(1)

        # A source that stops answering fails the run with its reason, and changes nothing.
        client.post(f"{HOME}/kaohsiung", data={"url": "http://127.0.0.1:9", "csrf_token": csrf})
        failed = client.post(f"{HOME}/kaohsiung/run", data={"csrf_token": csrf})
        assert 'data-run-status="failed"' in failed.text and "did not answer" in failed.text
        assert result(client, "package_show", id="kaohsiung-payment-items")["state"] == "active"

        # The same city's DCAT catalogue is a source of its own kind.
        dcat = {"name": "kaohsiung-dcat", "url": f"{kaohsiung}/catalog.jsonld", "kind": "dcat"}
        client.post(HOME, data={**dcat, "csrf_token": csrf})
        by_dcat = client.post(f"{HOME}/kaohsiung-dcat/run", data={"csrf_token": csrf})
        assert 'data-run-status="ok"' in by_dcat.text, by_dcat.text
        assert 'value="dcat"' in client.get(HOME).text


def test_a_switched_off_source_is_left_out_of_the_hourly_harvest(
    platform: Platform, client: TestClient
) -> None:
    csrf = sign_in_staff(platform, client)  # an administrator
    client.post(HOME, data={"name": "nowhere", "url": "http://127.0.0.1:9", "csrf_token": csrf})
    again = client.post(
        HOME,
        data={"name": "nowhere", "url": "http://127.0.0.1:9", "csrf_token": csrf},
        headers={"accept": "application/json"},
    )
    assert again.status_code == 409 and again.json()["code"] == "harvest_source_taken"
    off = client.post(f"{HOME}/nowhere/switch", data={"csrf_token": csrf})
    assert 'data-enabled="no"' in off.text
    assert service.harvest_all(platform) == {}
    on = client.post(f"{HOME}/nowhere/switch", data={"on": "true", "csrf_token": csrf})
    assert 'data-enabled="yes"' in on.text
    assert service.harvest_all(platform)["nowhere"]["status"] == "failed"


def test_only_the_catalogues_office_and_administrators_keep_sources(
    platform: Platform, client: TestClient
) -> None:
    csrf = sign_in_staff(platform, client, "DOT")
    refused = client.get(HOME, headers={"accept": "application/json"})
    assert refused.status_code == 403 and refused.json()["code"] == "not_open_data_office"
    posted = client.post(HOME, data={"name": "x1", "url": "http://127.0.0.1:9", "csrf_token": csrf})
    assert posted.status_code == 403
    sign_in_staff(platform, client, "DOIT")
    assert client.get(HOME).status_code == 200
    assert client.get(f"{HOME}/nothing-here").status_code == 404
    client.cookies.clear()
    anonymous = client.get(HOME, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
