"""No city in code: names, districts and coordinates of a city live in its profile (ADR 19).

Checked over every Python file and template under src/ except the city profiles themselves;
message catalogues are not code and are not read. The few exceptions below each say why.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from smartcity.core.city import SHIPPED, load_city

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
CITIES = [
    load_city(directory.name) for directory in sorted(SHIPPED.iterdir()) if directory.is_dir()
]
CITY_NAMES = ("臺北", "台北", "Taipei", "高雄", "Kaohsiung")

# Files that may name a city, each with its reason.
EXCEPTIONS = {
    "modules/chatbot/departments.py": "maps the department names of Taipei's open FAQ data set",
    "modules/chatbot/importer.py": "reads Taipei's open FAQ data set, a format named after it",
    "modules/chatbot/cli.py": "offers that format by its name, taipei-faq-xml",
}
# Words that contain a city's name but name something else: the IANA zone of all Taiwan (the
# fallback before a profile is read), a bank, another city, the setting's default profile.
OTHER_THINGS = ("Asia/Taipei", "臺北富邦", "Taipei Fubon", "New Taipei", 'DEFAULT_CITY = "taipei"')


def _sources() -> list[Path]:
    found = [
        *SRC.rglob("*.py"),
        *SRC.rglob("templates/**/*.html"),
        *SRC.rglob("templates/**/*.svg"),
    ]
    return sorted(
        path
        for path in found
        if SHIPPED not in path.parents and path.relative_to(SRC).as_posix() not in EXCEPTIONS
    )


def _words() -> re.Pattern[str]:
    names = set(CITY_NAMES)
    for city in CITIES:
        names |= {city.name_zh, city.name_en, *city.short_names}
        names |= {d.name_zh for d in city.districts}
    return re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True)), re.I)


def _numbers(path: Path, text: str) -> list[float]:
    if path.suffix != ".py":
        return [float(n) for n in re.findall(r"(?<![\w.])\d{2,3}\.\d+", text)]
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [float(t.string) for t in tokens if t.type == tokenize.NUMBER and "." in t.string]


def _in_an_extent(value: float) -> bool:
    return any(
        c.extent.south <= value <= c.extent.north or c.extent.west <= value <= c.extent.east
        for c in CITIES
    )


def test_no_city_district_or_coordinate_is_named_in_code() -> None:
    words = _words()
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        bare = text
        for phrase in OTHER_THINGS:
            bare = bare.replace(phrase, "")
        name = path.relative_to(SRC).as_posix()
        found += [f"{name}: {m.group(0)!r}" for m in words.finditer(bare)]
        found += [f"{name}: {n}" for n in _numbers(path, text) if _in_an_extent(n)]
    assert not found, "city facts in code (move them to the city profile):\n" + "\n".join(found)


def test_the_exceptions_still_need_to_be_exceptions() -> None:
    words = _words()
    for name in EXCEPTIONS:
        text = (SRC / name).read_text(encoding="utf-8")
        assert words.search(text), f"{name} names no city any more: drop it from EXCEPTIONS"
