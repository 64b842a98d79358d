"""Answers from the platform's own records: a citizen's open bills, the air where they are,
free parking bays, the votes open to them.

Each reads the other module's public service in the caller's read session. A personal need
is answered only for a known citizen (the signed-in user on the web, a linked LINE user);
anyone else is asked to sign in or link, never guessed at. Texts are Traditional Chinese
first, English second.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

import smartcity.modules.airquality.service as airquality
import smartcity.modules.parking.service as parking
import smartcity.modules.participation.service as participation
import smartcity.modules.payments.service as payments
import smartcity.modules.sensors.service as sensors
from smartcity.core.city import District, current_city
from smartcity.core.errors import DomainError
from smartcity.core.money import format_ntd
from smartcity.core.platform import Platform
from smartcity.core.time import format_local, utcnow
from smartcity.modules.chatbot import accounts
from smartcity.modules.chatbot.intents import Place, Slots, read_slots
from smartcity.modules.chatbot.intents import names_in as names_of
from smartcity.modules.chatbot.values import Channel, Intent

MAX_LISTED = 5
"""Bills, roads or votes listed in one answer (LINE's text stays short; the rest is linked)."""


@dataclass(frozen=True)
class Choice:
    """A quick reply: its label, and what choosing it does."""

    label: str
    text: str = ""
    """Sent as the citizen's next message."""
    postback: str = ""
    """Or handled as a postback (LINE) / a form (web)."""


@dataclass
class IntentReply:
    """What the chatbot says to a platform need."""

    intent: Intent
    text: str
    links: list[dict[str, str]] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    needs_citizen: bool = False
    """Personal, and the asker is not known: they are asked to sign in or link."""


LINK_ACCOUNT = Choice("綁定帳號 Link account", postback="link=start")
SIGN_IN = {"title": "登入 Sign in", "url": "/login?next=/chat"}
PARKING_MAP = {"title": "停車地圖 Parking map", "url": "/parking"}
NEAR_KM = 1.0
"""How far from a named place a road's bays count as near it (a walk of a quarter hour)."""


def _places(session: Session) -> list[Place]:
    """The city's landmarks (its profile) and where its air sensors stand, by their names
    (schools, parks …)."""
    landmarks = [
        Place(landmark.name, *landmark.point, aliases=landmark.aliases)
        for landmark in current_city().landmarks
    ]
    return landmarks + [
        Place(device.name, device.latitude, device.longitude)
        for device in sensors.latest(session, ("pm25",))
        if device.name
    ]


def _roads(session: Session) -> list[str]:
    return [s.name for s in parking.segments_availability(session)]


GAZETTEER_SERVICE = "chatbot.gazetteer"
GAZETTEER_SECONDS = 300.0
"""How long the names of places and roads are kept: devices and segments change rarely."""


def gazetteer(platform: Platform) -> tuple[list[Place], list[str]]:
    """The named places (air sensors' locations) and roads (parking segments) of the city,
    read again every few minutes."""
    cached = platform.services.get(GAZETTEER_SERVICE)
    now = time.monotonic()
    if cached is None or now - cached[0] > GAZETTEER_SECONDS:
        with platform.db.read_session() as session:
            cached = (now, _places(session), _roads(session))
        platform.services[GAZETTEER_SERVICE] = cached
    return cached[1], cached[2]


def names_in(platform: Platform, question: str) -> list[str]:
    """The district, place, road and plate names a question holds."""
    places, roads = gazetteer(platform)
    return names_of(question, current_city(), places, roads)


def slots_of(platform: Platform, question: str) -> Slots:
    """The slots a question fills."""
    places, roads = gazetteer(platform)
    return read_slots(question, current_city(), places, roads)


def answer(
    platform: Platform,
    session: Session,
    intent: Intent,
    question: str,
    *,
    citizen: uuid.UUID | None,
    channel: Channel,
) -> IntentReply:
    """The platform's answer to one need."""
    if intent == Intent.OPEN_VOTES:
        return _votes(session, citizen, channel)
    if intent.personal:
        if citizen is None:
            return _who_are_you(intent, channel)
        return _bills(session, citizen, slots_of(platform, question))
    slots = slots_of(platform, question)
    if intent == Intent.AIR_QUALITY:
        return _air(platform, session, slots, citizen)
    return _parking(session, slots, citizen)


def _who_are_you(intent: Intent, channel: Channel) -> IntentReply:
    if channel == Channel.LINE:
        return IntentReply(
            intent,
            "這是您個人的資料，請先綁定您的市民帳號，我才能回答。"
            "\nThis is about your own records: link your citizen account first.",
            choices=[LINK_ACCOUNT],
            needs_citizen=True,
        )
    return IntentReply(
        intent,
        "這是您個人的資料，請先登入市民帳號，我才能回答。"
        "\nThis is about your own records: please sign in first.",
        links=[SIGN_IN],
        needs_citizen=True,
    )


def _bills(session: Session, citizen: uuid.UUID, slots: Slots) -> IntentReply:
    bills = payments.open_bills_of_citizen(session, citizen)
    if slots.plate:
        bills = [b for b in bills if b.plate == slots.plate]
    scope = f"（車牌 {slots.plate}）" if slots.plate else ""
    if not bills:
        return IntentReply(
            Intent.MY_BILLS,
            f"您目前沒有待繳的帳單{scope}。\nYou have no bills to pay.",
            links=[{"title": "我的帳單 My bills", "url": "/me/payments"}],
        )
    total = sum(b.amount for b in bills)
    lines = [
        f"您有 {len(bills)} 筆待繳帳單{scope}，共 {format_ntd(total)}：",
        *(
            f"・{b.item_name} {format_ntd(b.amount)}，繳費期限 {b.due_date.isoformat()}"
            for b in bills[:MAX_LISTED]
        ),
        f"You have {len(bills)} open bill(s), {format_ntd(total)} in all.",
    ]
    links = [
        {"title": f"繳費 Pay: {b.item_name} {format_ntd(b.amount)}", "url": b.pay_path}
        for b in bills[:MAX_LISTED]
    ]
    links.append({"title": "我的帳單 My bills", "url": "/me/payments"})
    return IntentReply(Intent.MY_BILLS, "\n".join(lines), links=links)


def _votes(session: Session, citizen: uuid.UUID | None, channel: Channel) -> IntentReply:
    """The votes open now: to anyone, and with whether they may vote in each to a known
    citizen (eligibility is theirs alone, so an unknown asker is asked to sign in for it)."""
    votes = participation.open_votes_for(session, citizen)
    if not votes:
        return IntentReply(Intent.OPEN_VOTES, "目前沒有開放中的投票。\nNo vote is open right now.")
    lines = [f"目前有 {len(votes)} 項投票開放中："]
    for vote in votes[:MAX_LISTED]:
        mark = "" if vote.refusal is None else "（您目前不符投票資格 not eligible）"
        lines.append(f"・{vote.title}，{format_local(vote.closes_at)} 截止{mark}")
    lines.append(f"{len(votes)} vote(s) open now.")
    links = [
        {"title": vote.title, "url": f"/participation/votes/{vote.vote_id}/vote"}
        for vote in votes[:MAX_LISTED]
    ]
    if citizen is not None:
        return IntentReply(Intent.OPEN_VOTES, "\n".join(lines), links=links)
    choices: list[Choice] = []
    if channel == Channel.LINE:
        lines += [
            "綁定市民帳號後，我可以告訴您符合哪些投票的資格。",
            "Link your account to see which you may vote in.",
        ]
        choices.append(LINK_ACCOUNT)
    else:
        lines += [
            "登入後，我可以告訴您符合哪些投票的資格。",
            "Sign in to see which you may vote in.",
        ]
        links.append(SIGN_IN)
    return IntentReply(
        Intent.OPEN_VOTES, "\n".join(lines), links=links, choices=choices, needs_citizen=True
    )


def _district_of(code: str | None) -> District | None:
    return next((d for d in current_city().districts if d.code == code), None)


def _where(
    session: Session, slots: Slots, citizen: uuid.UUID | None
) -> tuple[str, float, float] | None:
    """The place the question is about: a named place, a district, or the citizen's home."""
    if slots.place is not None:
        return slots.place.name, slots.place.latitude, slots.place.longitude
    district = slots.district
    if district is None and citizen is not None:
        district = _district_of(accounts.home_district(session, citizen))
    if district is None:
        return None
    return district.name_zh, *district.point


def _ask_where(intent: Intent, citizen: uuid.UUID | None, topic: str) -> IntentReply:
    districts = current_city().districts
    text = "請問是哪一區或哪個地點？\nWhich district or place do you mean?"
    choices = [Choice(d.name_zh, text=f"{d.name_zh}{topic}") for d in districts[:12]]
    return IntentReply(intent, text, choices=choices)


def _home_choice(district: District | None, citizen: uuid.UUID | None) -> list[Choice]:
    if district is None or citizen is None:
        return []
    return [Choice(f"設{district.name_zh}為我家 Home", postback=f"home={district.code}")]


def _air(
    platform: Platform, session: Session, slots: Slots, citizen: uuid.UUID | None
) -> IntentReply:
    where = _where(session, slots, citizen)
    if where is None:
        return _ask_where(Intent.AIR_QUALITY, citizen, "空氣好嗎")
    name, latitude, longitude = where
    try:
        estimate = airquality.estimate_at(
            session, latitude, longitude, utcnow(), airquality.settings_of(platform)
        )
    except DomainError:
        return IntentReply(
            Intent.AIR_QUALITY,
            f"{name}附近目前沒有即時的感測資料。\nNo current readings near {name}.",
            links=[{"title": "空氣品質地圖 Air quality map", "url": "/airquality"}],
        )
    band = airquality.band_named(str(estimate["band"] or ""))
    band_zh, band_en = (band.name_zh, band.name_en) if band else ("", "")
    text = (
        f"{name}目前 PM2.5 估計約 {estimate['pm25']:.0f} µg/m³，{band_zh}。"
        f"\nPM2.5 near {name} is about {estimate['pm25']:.0f} µg/m³: {band_en}."
    )
    return IntentReply(
        Intent.AIR_QUALITY,
        text,
        links=[{"title": "空氣品質地圖 Air quality map", "url": "/airquality"}],
        choices=_home_choice(slots.district if slots.place is None else None, citizen),
    )


def _parking(session: Session, slots: Slots, citizen: uuid.UUID | None) -> IntentReply:
    if slots.place is not None and not slots.road:
        return _parking_near(session, slots.place)
    segments = parking.segments_availability(session)
    if slots.road:
        chosen = [s for s in segments if s.name == slots.road]
        name = slots.road
    else:
        district = slots.district
        if district is None and citizen is not None:
            district = _district_of(accounts.home_district(session, citizen))
        if district is None:
            return _ask_where(Intent.FREE_PARKING, citizen, "還有車位嗎")
        chosen = [s for s in segments if s.district == district.code]
        name = district.name_zh
    if not chosen:
        return IntentReply(
            Intent.FREE_PARKING,
            f"{name}沒有裝設感測器的路邊停車格。\nNo sensed kerbside bays in {name}.",
            links=[PARKING_MAP],
        )
    return _free_bays(name, [(s, "") for s in chosen], f"in {name}")


def _parking_near(session: Session, place: Place) -> IntentReply:
    near = parking.segments_near(session, place.latitude, place.longitude, NEAR_KM)
    if not near:
        return IntentReply(
            Intent.FREE_PARKING,
            f"{place.name}附近 {NEAR_KM:g} 公里內沒有裝設感測器的路邊停車格。"
            f"\nNo sensed kerbside bays within {NEAR_KM:g} km of {place.name}.",
            links=[PARKING_MAP],
        )
    listed = [(s, f"（約 {round(km * 1000, -1):.0f} 公尺 m）") for s, km in near]
    return _free_bays(f"{place.name}附近", listed, f"near {place.name}")


def _free_bays(
    name: str, segments: list[tuple[parking.SegmentAvailability, str]], where_en: str
) -> IntentReply:
    """Each road's free bays, with how far it is when that was asked."""
    known = [s for s, _ in segments if s.full_status != -1]
    free = sum(s.free for s in known)
    lines = [
        f"{name}目前有 {free} 個空的路邊停車格：" if known else f"{name}的停車格目前狀態不明："
    ]
    for s, distance in segments[:MAX_LISTED]:
        state = f"{s.free}/{s.total} 空位" if s.full_status != -1 else "狀態不明"
        lines.append(f"・{s.name} {state}{distance}")
    lines.append(f"{free} free kerbside bay(s) {where_en} now." if known else "Status unknown.")
    return IntentReply(Intent.FREE_PARKING, "\n".join(lines), links=[PARKING_MAP])
