"""airquality's API over readings stored through sensors: runs, open data, estimates, maps."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from tests.conftest import Actors, bearer
from tests.modules.airquality.conftest import DAY, NEXT_DAY, Loaded, N

NOON = "2024-11-01T12:00:00+08:00"


def _run(client: TestClient, headers: dict[str, str], kind: str, day: str = "") -> Any:
    response = client.post(
        f"/api/v1/airquality/runs/{kind}", json={"day": day or DAY.isoformat()}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_quality_run_flags_the_planted_faults(
    client: TestClient, actors: Actors, loaded: Loaded
) -> None:
    officer = bearer(actors.token(Role.OFFICER))
    detail = _run(client, officer, "quality")["detail"]
    assert detail["devices"] == N
    assert set(loaded.of(loaded.net.broken)) <= set(detail["malfunctioning"])
    ranking = client.get("/api/v1/airquality/ranking").json()
    assert ranking["day"] == DAY.isoformat()
    top = {d["device_id"] for d in ranking["devices"][:2]}
    assert top == set(loaded.of(loaded.net.broken))
    broken = loaded.of(loaded.net.broken)[0]
    health = client.get(f"/api/v1/airquality/devices/{broken}/health").json()
    assert health["status"] == "malfunction" and health["latest"]["rank"] <= 2
    assert health["recent_flags"] and health["latest"]["flag_counts"]["malfunction"] == 288
    assert isinstance(health["latest"]["offset"], float)
    statuses = {
        client.get(f"/api/v1/airquality/devices/{d}/health").json()["status"]
        for d in loaded.of(loaded.net.indoor)
    }
    assert "indoor" in statuses, statuses
    # Running again replaces the day's results instead of adding to them.
    _run(client, officer, "quality")
    again = client.get("/api/v1/airquality/ranking").json()
    assert len(again["devices"]) == N


def test_health_of_an_unknown_device_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/airquality/devices/NOSUCHDEVICE/health")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unknown_device"


def test_runs_are_for_officers_and_admins(client: TestClient, actors: Actors) -> None:
    body = {"day": DAY.isoformat()}
    assert client.post("/api/v1/airquality/runs/quality", json=body).status_code == 401
    citizen = bearer(actors.citizen()[1])
    denied = client.post("/api/v1/airquality/runs/quality", json=body, headers=citizen)
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    device = bearer(actors.token(Role.DEVICE))
    assert (
        client.post("/api/v1/airquality/runs/plumes", json=body, headers=device).status_code == 403
    )
    admin = bearer(actors.token(Role.ADMIN))
    assert (
        client.post("/api/v1/airquality/runs/plumes", json=body, headers=admin).status_code == 200
    )
    bad = client.post("/api/v1/airquality/runs/quality", json={"day": "1900-01-01"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_day"


def test_calibration_gives_c_d0_in_the_airbox_document(
    client: TestClient, actors: Actors, loaded: Loaded
) -> None:
    officer = bearer(actors.token(Role.OFFICER))
    stations = _run(client, officer, "calibration", NEXT_DAY.isoformat())["detail"]["stations"]
    assert {s["station_id"] for s in stations} == {"REF-A", "REF-B"}
    assert all(s["n_pairs"] > 0 and s["kind"] for s in stations)
    document = client.get("/api/v1/airquality/last-all-airbox.json").json()
    assert set(document) == {"source", "feeds", "version", "num_of_records"}
    assert document["num_of_records"] == N == len(document["feeds"])
    feed = document["feeds"][0]
    assert set(feed) == {
        "device_id",
        "SiteName",
        "gps_lat",
        "gps_lon",
        "s_d0",
        "s_t0",
        "s_h0",
        "timestamp",
        "c_d0",
    }
    assert feed["timestamp"].endswith("Z") and feed["c_d0"] is not None
    csv = client.get("/api/v1/airquality/last-all-airbox.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "device_id,SiteName,gps_lat,gps_lon,s_d0,s_t0,s_h0,timestamp,c_d0"
    assert len(lines) == N + 1


def test_estimate_at_a_point(client: TestClient, loaded: Loaded) -> None:
    params = {"lat": 25.05, "lon": 121.54, "time": NOON}
    kriged = client.get("/api/v1/airquality/estimate", params=params)
    assert kriged.status_code == 200, kriged.text
    body = kriged.json()
    assert {"pm25", "method", "n_neighbours", "time"} <= set(body)
    assert body["method"] == "kriging" and body["n_neighbours"] == 16
    assert body["time"] == "2024-11-01T04:00:00Z" and 0 < body["pm25"] < 200
    idw = client.get("/api/v1/airquality/estimate", params={**params, "method": "idw"}).json()
    assert idw["method"] == "idw"


def test_estimate_refuses_bad_or_far_input_as_problems(client: TestClient, loaded: Loaded) -> None:
    cases = [
        ({"lat": 22.6, "lon": 120.3, "time": NOON}, 422, "too_far"),
        ({"lat": 25.05, "lon": 121.54, "time": "yesterday"}, 422, "invalid_time"),
        ({"lat": 25.05, "lon": 121.54, "time": "2010-01-01T00:00:00"}, 404, "no_readings"),
        ({"lat": 999, "lon": 121.54}, 422, "validation_error"),
        ({"lat": "nan", "lon": 121.54, "time": NOON}, 422, None),
        ({"lon": 121.54}, 422, "validation_error"),
    ]
    for params, status, code in cases:
        response = client.get("/api/v1/airquality/estimate", params=params)
        assert response.status_code == status, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if code:
            assert response.json()["code"] == code, params


def test_grid_png_and_contours(client: TestClient, loaded: Loaded) -> None:
    png = client.get(
        "/api/v1/airquality/grid.png", params={"time": NOON, "width": 60, "height": 50}
    )
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    geo = client.get("/api/v1/airquality/contours.geojson", params={"time": NOON})
    assert geo.status_code == 200 and geo.headers["content-type"].startswith("application/geo+json")
    document = geo.json()
    assert document["type"] == "FeatureCollection" and document["features"]
    assert document["properties"]["devices"] == N
    inverted = client.get("/api/v1/airquality/grid.png", params={"south": 25.2, "north": 25.0})
    assert inverted.status_code == 422 and inverted.json()["code"] == "invalid_bbox"
    huge = client.get("/api/v1/airquality/grid.png", params={"width": 5000})
    assert huge.status_code == 422


def test_plumes_and_alerts(client: TestClient, actors: Actors, loaded: Loaded) -> None:
    officer = bearer(actors.token(Role.OFFICER))
    _run(client, officer, "quality")
    detail = _run(client, officer, "plumes")["detail"]
    assert detail["tracks"] >= 1
    plumes = client.get("/api/v1/airquality/plumes", params={"day": DAY.isoformat()}).json()
    longest = max(plumes["tracks"], key=lambda t: len(t["path"]))
    assert len(longest["path"]) >= 3 and longest["peak"] >= 30.5
    # The generated plume drifts north-east.
    assert longest["direction_deg"] is not None and 0 < longest["direction_deg"] < 90
    assert longest["speed_kmh"] > 0
    assert client.get("/api/v1/airquality/plumes").json()["day"] == DAY.isoformat()
    alerts = client.get("/api/v1/airquality/alerts").json()
    assert alerts and {"district", "time", "pm25", "from_band", "to_band", "rising"} <= set(
        alerts[0]
    )
    bad = client.get("/api/v1/airquality/plumes", params={"day": "2024-13-01"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_day"
    unknown = client.get("/api/v1/airquality/alerts", params={"district": "atlantis"})
    assert unknown.status_code == 404


def test_every_run_is_audited(client: TestClient, actors: Actors, platform, loaded: Loaded) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from smartcity.core.audit.models import AuditEntry

    officer = bearer(actors.token(Role.OFFICER))
    for kind in ("quality", "calibration", "plumes"):
        _run(client, officer, kind)
    session = platform.db.read_session()
    try:
        actions = set(session.execute(select(AuditEntry.action)).scalars())
    finally:
        session.close()
    assert {
        "airquality.quality.assessed",
        "airquality.calibration.chosen",
        "airquality.plumes.tracked",
    } <= actions


def test_a_site_name_that_looks_like_a_formula_is_text_in_the_csv(
    client: TestClient, actors: Actors
) -> None:
    from tests.modules.sensors.conftest import lass_line

    formula = '=HYPERLINK("https://evil.example/","PM2.5")'
    line = lass_line(device="74DA38AF9999", pm25=-1) + f"SiteName={formula}|"
    device = bearer(actors.token(Role.DEVICE))
    stored = client.post("/api/v1/sensors/lass", content=line, headers=device)
    assert stored.status_code == 200, stored.text
    text = client.get("/api/v1/airquality/last-all-airbox.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    (row,) = [r for r in rows if r["device_id"] == "74DA38AF9999"]
    assert row["SiteName"] == "'" + formula
    # Numbers stay numbers, the negative reading too.
    assert row["gps_lat"] == "25.033" and row["s_d0"] == "-1.0"
