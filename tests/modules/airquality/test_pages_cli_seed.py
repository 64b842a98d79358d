"""airquality's pages (map, device, staff), its CLI and its demo seed."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from tests.conftest import Actors, bearer
from tests.modules.airquality.conftest import DAY, NEXT_DAY, Loaded

NOON = "2024-11-01T12:00:00+08:00"


def test_map_page_marks_flagged_devices_without_a_tile_server(
    client: TestClient, actors: Actors, loaded: Loaded
) -> None:
    officer = bearer(actors.token(Role.OFFICER))
    for kind in ("quality", "plumes"):
        client.post(
            f"/api/v1/airquality/runs/{kind}", json={"day": DAY.isoformat()}, headers=officer
        )
    page = client.get("/airquality", params={"time": NOON})
    assert page.status_code == 200
    html = page.text
    assert "<svg" in html and "/api/v1/airquality/grid.png?" in html
    assert html.count('class="aq-devices"') == 1 and html.count("<circle") >= 40
    assert 'data-flagged="malfunction"' in html
    assert "<polyline" in html  # the plume overlay
    assert "#00e400" in html or "#ffff00" in html  # AQI band colours
    # Nothing is fetched from another host: no tile server, no external script.
    assert "tile" not in html.lower() and "https://" not in html
    assert "空氣品質地圖" in html
    english = client.get("/airquality", params={"time": NOON}, headers={"accept-language": "en"})
    assert "Air quality map" in english.text


def test_device_page_shows_flags_and_health(
    client: TestClient, actors: Actors, loaded: Loaded
) -> None:
    client.post(
        "/api/v1/airquality/runs/quality",
        json={"day": DAY.isoformat()},
        headers=bearer(actors.token(Role.ADMIN)),
    )
    broken = loaded.of(loaded.net.broken)[0]
    page = client.get(f"/airquality/devices/{broken}")
    assert page.status_code == 200
    assert 'data-status="malfunction"' in page.text and "malfunction" in page.text
    missing = client.get("/airquality/devices/NOSUCH", headers={"accept": "text/html"})
    assert missing.status_code == 404


def _staff_session(platform: Platform) -> tuple[str, str]:
    from smartcity.modules.identity import service

    with platform.unit_of_work(system_actor("test")) as uow:
        user = service.create_staff(
            uow, role=Role.OFFICER, name="o", email="aq@test.invalid", department_code="DOT"
        )
        token, row = service.open_session(uow.session, user, kind="portal", scope="*", hours=1)
        return token, row.csrf_token


def test_staff_console_runs_a_job(
    client: TestClient, platform: Platform, actors: Actors, loaded: Loaded
) -> None:
    actors.token(Role.OFFICER)  # makes the DOT department the officer belongs to
    token, csrf = _staff_session(platform)
    client.cookies.set(SESSION_COOKIE, token)
    done = client.post(
        "/staff/airquality/run",
        data={"kind": "quality", "day": DAY.isoformat(), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/staff/airquality?done=quality"
    page = client.get("/staff/airquality?done=quality")
    assert page.status_code == 200 and "AQTEST" in page.text
    bad = client.post(
        "/staff/airquality/run", data={"kind": "x", "day": "2024-11-01", "csrf_token": csrf}
    )
    assert bad.status_code == 422
    forged = client.post("/staff/airquality/run", data={"kind": "quality", "day": "2024-11-01"})
    assert forged.status_code == 403


def test_portal_cards(client: TestClient, platform: Platform) -> None:
    manifest = platform.module("airquality")
    assert manifest is not None and manifest.citizen_cards and manifest.staff_cards
    from smartcity.core.auth import ANONYMOUS

    assert manifest.citizen_cards(ANONYMOUS)[0].href == "/airquality"
    assert manifest.staff_cards(ANONYMOUS)[0].href == "/staff/airquality"


def test_cli_runs_each_job_and_renders(platform: Platform, loaded: Loaded, tmp_path: Path) -> None:
    from smartcity.modules.airquality.cli import build_cli

    runner = CliRunner()
    app = build_cli()
    quality = runner.invoke(app, ["quality", "--day", DAY.isoformat()], obj=platform)
    assert quality.exit_code == 0, quality.output
    assert "40 devices" in quality.output and "malfunctioning" in quality.output
    calibrate = runner.invoke(app, ["calibrate", "--day", NEXT_DAY.isoformat()], obj=platform)
    assert calibrate.exit_code == 0 and "REF-A" in calibrate.output
    plumes = runner.invoke(app, ["plumes", "--day", DAY.isoformat()], obj=platform)
    assert plumes.exit_code == 0 and "plume tracks" in plumes.output
    out = tmp_path / "map.png"
    render = runner.invoke(
        app,
        ["render", "--time", NOON, "--out", str(out), "--width", "80", "--height", "60"],
        obj=platform,
    )
    assert render.exit_code == 0, render.output
    assert out.read_bytes().startswith(b"\x89PNG")
    bad = runner.invoke(app, ["quality", "--day", "02/11/2024"], obj=platform)
    assert bad.exit_code == 1 and "invalid_day" in bad.output


def test_seed_derives_flags_calibration_and_plumes_from_the_sensors_demo(
    platform: Platform, client: TestClient
) -> None:
    from smartcity.modules.airquality.seed import seed as airquality_seed
    from smartcity.modules.sensors.seed import seed as sensors_seed

    with platform.unit_of_work(system_actor("demo")) as uow:
        sensors_seed(uow, platform)
    with platform.unit_of_work(system_actor("demo")) as uow:
        airquality_seed(uow, platform)
    ranking = client.get("/api/v1/airquality/ranking").json()
    assert len(ranking["devices"]) == 60
    document = client.get("/api/v1/airquality/last-all-airbox.json").json()
    assert document["num_of_records"] == 60
    assert client.get("/api/v1/airquality/plumes").status_code == 200
    assert client.get("/airquality").status_code == 200
