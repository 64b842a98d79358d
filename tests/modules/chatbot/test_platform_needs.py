"""Platform needs answered from the modules' services, on the API, the web chat and LINE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

import smartcity.modules.parking.service as parking
import smartcity.modules.payments.service as payments
import smartcity.modules.sensors.service as sensors
from smartcity.core.auth import Role, system_actor
from smartcity.core.city import current_city, profile_directory
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from smartcity.core.time import local_today, utcnow
from smartcity.modules.chatbot import intents
from smartcity.modules.chatbot.values import Intent
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.oauth.routes import PORTAL_SCOPE
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Item
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import new_vote

ASK = "/api/v1/chatbot/ask"
FEE_ITEM = "TWD-FEE01"


def sign_in_citizen(platform: Platform, client: TestClient, user_id: str) -> str:
    """A portal session for the citizen in `client`'s cookies; its CSRF token."""
    with platform.unit_of_work(system_actor("test")) as uow:
        user = identity.get_user(uow.session, user_id)
        token, row = identity.open_session(
            uow.session,
            user,
            kind="portal",
            scope=identity.portal_scope(user, PORTAL_SCOPE),
            hours=1,
        )
        uow.audit("test.session", "user", user_id, {})
    client.cookies.set(SESSION_COOKIE, token)
    return row.csrf_token


def issue_bills(platform: Platform, user_id: str, amounts: list[int]) -> None:
    """Bills of the catalogue's fee item addressed to the citizen, due in 10, 20 … days."""
    with platform.unit_of_work(system_actor("test")) as uow:
        if uow.session.get(Item, FEE_ITEM) is None:
            uow.session.execute(insert(Item), catalogue())
        for n, amount in enumerate(amounts, start=1):
            payments.issue_bill(
                uow,
                payments.settings_of(platform),
                item_code=FEE_ITEM,
                amount=amount,
                due_date=local_today() + timedelta(days=10 * n),
                payer={"citizen_id": user_id},
            )


# -- bills -----------------------------------------------------------------------------------


def test_a_signed_in_citizen_hears_their_open_bills_with_pay_links(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    user_id, token = actors.citizen()
    issue_bills(platform, user_id, [300, 1250])
    body = client.post(ASK, json={"question": "我的帳單還有幾筆沒繳"}, headers=bearer(token)).json()
    assert body["intent"] == Intent.MY_BILLS and body["answered"]
    assert "2 筆" in body["message"] and "NT$1,550" in body["message"].replace(" ", "")
    due = (local_today() + timedelta(days=10)).isoformat()
    assert due in body["message"]
    pay_links = [
        link["url"] for link in body["links"] if link["url"].startswith("/me/payments/bills/")
    ]
    assert len(pay_links) == 2


def test_another_citizens_bills_are_never_shown(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    owner, _ = actors.citizen("甲")
    issue_bills(platform, owner, [900])
    _, other = actors.citizen("乙")
    body = client.post(ASK, json={"question": "我還有什麼費用沒繳嗎"}, headers=bearer(other)).json()
    assert body["intent"] == Intent.MY_BILLS
    assert "沒有待繳" in body["message"] and "900" not in body["message"]


def test_without_a_known_citizen_a_personal_need_asks_to_sign_in(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    user_id, _ = actors.citizen()
    issue_bills(platform, user_id, [700])
    body = client.post(ASK, json={"question": "我的帳單還有幾筆沒繳"}).json()
    assert body["intent"] == Intent.MY_BILLS and body["needs_citizen"]
    assert "登入" in body["message"] and "700" not in body["message"]


def test_the_web_chat_answers_the_signed_in_citizen(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    user_id, _ = actors.citizen()
    issue_bills(platform, user_id, [480])
    sign_in_citizen(platform, client, user_id)
    page = client.post("/chat/ask", data={"question": "我的帳單還有幾筆沒繳"})
    assert page.status_code == 200
    assert "1 筆" in page.text and "/me/payments/bills/" in page.text


# -- air quality -----------------------------------------------------------------------------


def air_devices(platform: Platform, pm25: float) -> None:
    """Three devices around 信義區 with a reading ten minutes ago."""
    at = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    xinyi = next(d for d in current_city().districts if d.name_zh == "信義區")
    lat, lon = xinyi.point
    spots = [
        ("臺北市信義區興雅國小", 25.0389, 121.5680),
        ("甲站", lat + 0.01, lon),
        ("乙站", lat, lon + 0.01),
    ]
    with platform.unit_of_work(system_actor("test")) as uow:
        for n, (name, la, lo) in enumerate(spots):
            sensors.register_station(
                uow, station_id=f"CHAT{n}", name=name, latitude=la, longitude=lo, kind="airbox"
            )
            sensors.record_readings(uow, f"CHAT{n}", [(at, {"pm25": pm25})])


def test_a_district_gets_its_current_pm25_and_band(platform: Platform, client: TestClient) -> None:
    air_devices(platform, 8.0)
    body = client.post(ASK, json={"question": "信義區現在PM2.5"}).json()
    assert body["intent"] == Intent.AIR_QUALITY
    assert "信義區" in body["message"] and "良好" in body["message"] and "Good" in body["message"]
    page = client.post("/chat/ask", data={"question": "信義區現在PM2.5"})
    assert page.status_code == 200 and "良好" in page.text


def test_a_named_place_of_a_sensor_is_understood(platform: Platform, client: TestClient) -> None:
    air_devices(platform, 40.0)
    body = client.post(ASK, json={"question": "興雅國小附近空氣好嗎"}).json()
    assert body["intent"] == Intent.AIR_QUALITY
    assert "興雅國小" in body["message"] and "對敏感族群不健康" in body["message"]


@pytest.mark.parametrize(
    ("question", "landmark"), [("台北101附近空氣好嗎", "臺北101"), ("北車附近空氣好嗎", "臺北車站")]
)
def test_a_landmark_of_the_city_profile_is_understood(
    platform: Platform, client: TestClient, question: str, landmark: str
) -> None:
    air_devices(platform, 8.0)
    body = client.post(ASK, json={"question": question}).json()
    assert body["intent"] == Intent.AIR_QUALITY
    assert landmark in body["message"] and "PM2.5" in body["message"]


def test_without_a_place_the_chatbot_asks_where_then_uses_the_home_on_record(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    air_devices(platform, 8.0)
    body = client.post(ASK, json={"question": "我家附近空氣好嗎"}).json()
    assert body["intent"] == Intent.AIR_QUALITY and "哪一區" in body["message"]
    user_id, token = actors.citizen()
    csrf = sign_in_citizen(platform, client, user_id)
    xinyi = next(d for d in current_city().districts if d.name_zh == "信義區")
    saved = client.post("/chat/home", data={"district": xinyi.code, "csrf_token": csrf})
    assert saved.status_code == 200
    client.cookies.clear()
    body = client.post(ASK, json={"question": "我家附近空氣好嗎"}, headers=bearer(token)).json()
    assert "信義區" in body["message"] and "PM2.5" in body["message"]


def test_a_citizen_who_chose_no_home_is_answered_for_their_registered_district(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    air_devices(platform, 8.0)
    user_id, token = actors.citizen()
    xinyi = next(d for d in current_city().districts if d.name_zh == "信義區")
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    recorded = client.put(
        f"/api/v1/identity/citizens/{user_id}/facts", json={"lives_in": xinyi.code}, headers=officer
    )
    assert recorded.status_code == 200
    body = client.post(ASK, json={"question": "我家附近空氣好嗎"}, headers=bearer(token)).json()
    assert "信義區" in body["message"] and "PM2.5" in body["message"]


def test_an_unknown_home_district_is_refused(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    user_id, _ = actors.citizen()
    csrf = sign_in_citizen(platform, client, user_id)
    refused = client.post("/chat/home", data={"district": "atlantis", "csrf_token": csrf})
    assert refused.status_code == 422


# -- parking and votes -----------------------------------------------------------------------


def load_parking(platform: Platform) -> None:
    """The profile's demo segments, three bays of 松智路 reported free five minutes ago."""
    path = profile_directory(platform.settings.city) / "parking.geojson"
    settings = parking.settings_of(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(insert(Item), catalogue())
        department = payments.get_item(uow.session, settings.fee_item).department
        rows = parking.read_bay_file(path.read_text(encoding="utf-8"), Path(path).name)
        parking.import_segments(uow, rows, settings, department)
        songzhi = next(r for r in rows if r["code"] == "SONGZHI")["bays"][:3]
        at = datetime.now(UTC) - timedelta(minutes=5)
        uplinks = [(r["dev_eui"], at, "status", 0, None, None) for r in songzhi]
        parking.apply_uplinks(uow, uplinks, parking.config_of(platform))


def test_free_bays_on_a_named_road(platform: Platform, client: TestClient) -> None:
    load_parking(platform)
    body = client.post(ASK, json={"question": "松智路還有車位嗎"}).json()
    assert body["intent"] == Intent.FREE_PARKING
    assert "松智路" in body["message"] and "3 個空的" in body["message"]
    page = client.post("/chat/ask", data={"question": "松智路還有車位嗎"})
    assert page.status_code == 200 and "3 個空的" in page.text


def test_free_bays_near_a_landmark_nearest_first_with_their_distance(
    platform: Platform, client: TestClient
) -> None:
    load_parking(platform)
    body = client.post(ASK, json={"question": "台北101附近還有車位嗎"}).json()
    assert body["intent"] == Intent.FREE_PARKING
    lines = body["message"].splitlines()
    assert lines[0] == "臺北101附近目前有 3 個空的路邊停車格："
    assert lines[1].startswith("・松智路 3/12 空位（約 ") and "公尺" in lines[1]
    far = client.post(ASK, json={"question": "北車附近還有車位嗎"}).json()
    assert far["intent"] == Intent.FREE_PARKING
    assert "臺北車站附近 1 公里內沒有" in far["message"]


def test_open_votes_are_listed_to_anyone_and_eligibility_to_a_known_citizen(
    platform: Platform, client: TestClient, actors: Actors
) -> None:
    _, token = actors.citizen()
    body = client.post(ASK, json={"question": "現在有什麼可以投票"}, headers=bearer(token)).json()
    assert body["intent"] == Intent.OPEN_VOTES and "沒有開放中的投票" in body["message"]
    vote, _ = new_vote(client, actors, eligibility={"verification_level": "verified"})
    anonymous = client.post(ASK, json={"question": "現在有什麼可以投票"}).json()
    assert anonymous["intent"] == Intent.OPEN_VOTES and anonymous["needs_citizen"]
    assert vote["title"] in anonymous["message"] and "不符" not in anonymous["message"]
    urls = [link["url"] for link in anonymous["links"]]
    assert urls == [f"/participation/votes/{vote['id']}/vote", "/login?next=/chat"]
    body = client.post(ASK, json={"question": "現在有什麼可以投票"}, headers=bearer(token)).json()
    assert not body["needs_citizen"] and "不符投票資格" in body["message"]
    page = client.post("/chat/ask", data={"question": "現在有什麼可以投票"})
    assert page.status_code == 200 and "/login?next=/chat" in page.text


# -- what an intent is not -------------------------------------------------------------------


def test_faq_questions_are_not_taken_by_an_intent(loaded: Platform, client: TestClient) -> None:
    body = client.post(ASK, json={"question": "請問育兒津貼怎麼申請"}).json()
    assert body["intent"] is None and body["answered"]


@pytest.mark.parametrize(
    ("question", "district", "place", "road", "plate"),
    [
        ("信義區現在PM2.5", "信義區", None, None, None),
        ("信義路上空氣好嗎", None, None, None, None),
        ("興雅國小附近呢", "信義區", "臺北市信義區興雅國小", None, None),
        ("松智路還有車位嗎", None, None, "松智路", None),
        ("我的車 abc-1234 有罰單嗎", None, None, None, "ABC-1234"),
        ("電話 02-2720 幾號", None, None, None, None),
    ],
)
def test_slots(
    platform: Platform,
    question: str,
    district: str | None,
    place: str | None,
    road: str | None,
    plate: str | None,
) -> None:
    city = current_city()
    places = [intents.Place(s.name, *s.point) for s in city.schools]
    slots = intents.read_slots(question, city, places, ["松智路"])
    assert (slots.district.name_zh if slots.district else None) == (
        district if place is None else slots.district and slots.district.name_zh
    )
    assert (slots.place.name if slots.place else None) == place
    assert slots.road == road and slots.plate == plate
