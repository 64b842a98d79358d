"""Platform needs as intents: documents of their own in the answering index, and their slots.

An intent is ranked by the same understanding as the FAQ's items (lexical coverage fused
with the dense channel): its exemplars (`data/intents.json`, written in many voices, long
LINE-style messages among them) are its phrasings, so an item and an intent compete for
each question and the confidence means the same for both. Slots are read from the question
with the city's own facts: its districts (the city profile), the named places where its air
sensors stand (sensors' device locations), the roads with parking bays and a plate.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from smartcity.core.city import CityProfile, District
from smartcity.modules.chatbot import engine
from smartcity.modules.chatbot.values import Intent

HERE = Path(__file__).parent
EXEMPLARS = HERE / "data" / "intents.json"
PREFIX = "intent:"
"""Index ids of intents; items' ids are UUIDs, so the two never meet."""
# Taiwan's plates: 2–4 letters or digits, a hyphen, then 2–4 (ABC-1234, 1234-AB, AB-123).
PLATE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{2,4})\s*-\s*([A-Za-z0-9]{2,4})(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Place:
    """A named point the question may be about."""

    name: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...] = ()
    """Other names people use for it; answers use `name`."""


@dataclass(frozen=True)
class Slots:
    """What a question names besides its need."""

    district: District | None = None
    place: Place | None = None
    road: str | None = None
    """A road that has parking bays, as the parking module names it."""
    plate: str | None = None
    """Normalised: upper case with one hyphen."""


@cache
def _exemplars() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(EXEMPLARS.read_text(encoding="utf-8"))
    return data


def intent_docs() -> list[engine.Doc]:
    """Every intent as a document of the answering index."""
    return [
        engine.Doc(
            item_id=PREFIX + intent.value,
            question=_exemplars()[intent.value]["question"],
            variants=list(_exemplars()[intent.value]["exemplars"]),
        )
        for intent in Intent
    ]


def intent_of(item_id: str) -> Intent | None:
    """The intent an index id stands for (None: a knowledge-base item)."""
    if not item_id.startswith(PREFIX):
        return None
    try:
        return Intent(item_id.removeprefix(PREFIX))
    except ValueError:
        return None


def is_item(index_id: str) -> bool:
    """Whether an index id is a knowledge-base item's (not a platform need's)."""
    return not index_id.startswith(PREFIX)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("台", "臺")


def short_names(name: str, city: CityProfile) -> list[str]:
    """The ways people name a place: in full, and without the city's and district's names."""
    name = _folded(name).strip()
    found = [name]
    rest = name
    for prefix in (_folded(city.name_zh), *(_folded(s) for s in city.short_names)):
        if prefix and rest.startswith(prefix):
            rest = rest.removeprefix(prefix)
            break
    for district in city.districts:
        if rest.startswith(_folded(district.name_zh)):
            rest = rest.removeprefix(_folded(district.name_zh))
            break
    # A short name of one or two characters (東門) also names streets and stations.
    if rest != name and len(rest) >= 3:
        found.append(rest)
    return found


def place_names(place: Place, city: CityProfile) -> list[str]:
    """Every name a question may use for the place."""
    return [*short_names(place.name, city), *(_folded(alias) for alias in place.aliases)]


def read_slots(question: str, city: CityProfile, places: list[Place], roads: list[str]) -> Slots:
    """The district, place, road and plate a question names (the longest name wins)."""
    text = _folded(question)
    place = None
    longest = 0
    for candidate in places:
        for name in place_names(candidate, city):
            if name in text and len(name) > longest:
                place, longest = candidate, len(name)
    district = None
    for d in city.districts:
        bare = _folded(d.name_zh).removesuffix("區")
        # 信義路 and 中山堂 are not districts (the index's own rule, text.district_pattern).
        if re.search(re.escape(bare) + r"(?!區?[東西南北]?路|街|大道|堂|紀念)", text) or (
            _folded(d.name_zh) in text
        ):
            district = d
            break
    road = max((r for r in roads if r and _folded(r) in text), key=len, default=None)
    plate_match = PLATE.search(text)
    plate = None
    if plate_match and any(c.isalpha() for c in plate_match.group(0)):
        plate = f"{plate_match.group(1)}-{plate_match.group(2)}".upper()
    return Slots(district=district, place=place, road=road, plate=plate)


def names_in(question: str, city: CityProfile, places: list[Place], roads: list[str]) -> list[str]:
    """The slot values a question names, as written (districts, places, roads, plates)."""
    text = _folded(question)
    found = [n for p in places for n in place_names(p, city) if n in text]
    for d in city.districts:
        full, bare = _folded(d.name_zh), _folded(d.name_zh).removesuffix("區")
        if full in text:
            found.append(full)
        elif re.search(re.escape(bare) + r"(?!區?[東西南北]?路|街|大道|堂|紀念)", text):
            found.append(bare)
    found += [_folded(r) for r in roads if r and _folded(r) in text]
    found += [m.group(0) for m in PLATE.finditer(text) if any(c.isalpha() for c in m.group(0))]
    return sorted(set(found), key=len, reverse=True)


def without_names(question: str, names: list[str]) -> str:
    """The question with the names taken out: what is asked, whatever place it is about."""
    text = _folded(question)
    for name in names:  # longest first: 興雅國小 before 信義
        text = text.replace(name, " ")
    return " ".join(text.split())
