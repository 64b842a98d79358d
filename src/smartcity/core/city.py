"""The city profile: every fact about the city the platform serves, read from data, not code.

A profile is a directory with `profile.toml` (names, time zone, map, helpline, payment codes,
districts) and `districts.geojson` (their boundaries). Shipped profiles live in
`smartcity/cities/<name>/`; `SMARTCITY_CITY` names one of them or a directory of the operator's
(docs/operations.md, ADR 19).
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from smartcity.core.boundaries import inside

SHIPPED = Path(__file__).resolve().parent.parent / "cities"
"""The profiles that come with the platform, one directory each."""

Coordinates = tuple[tuple[tuple[tuple[float, float], ...], ...], ...]
"""A GeoJSON MultiPolygon's coordinates: polygons of rings of (longitude, latitude)."""


class CityProfileError(ValueError):
    """A profile that cannot be read or does not hold together; raised at start-up."""


class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Extent(_Facts):
    """A latitude/longitude box, the map's default view."""

    south: float = Field(ge=-90, le=90)
    west: float = Field(ge=-180, le=180)
    north: float = Field(ge=-90, le=90)
    east: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not (self.south < self.north and self.west < self.east):
            raise ValueError("the extent needs south < north and west < east")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies in the box (edges included)."""
        return self.south <= lat <= self.north and self.west <= lon <= self.east


class Helpline(_Facts):
    """The one number citizens call when the platform cannot help."""

    number: str = Field(pattern=r"^[0-9+#* -]{3,20}$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class PaymentCodes(_Facts):
    """What the city's bills carry, as its banks and store chains assigned them."""

    collection_code: str = Field(pattern=r"^[0-9A-Z]{3}$")
    virtual_account_prefix: str = Field(pattern=r"^\d{5}$")
    payee_name: str = Field(min_length=1)


class Place(_Facts):
    """A named point in the city."""

    name: str = Field(min_length=1)
    point: tuple[float, float]
    """(latitude, longitude)."""


class Landmark(Place):
    """A place people name in a question (a station, a night market, a hospital)."""

    aliases: tuple[str, ...] = ()
    """Other names people use for it (a short form, a former name)."""


class Station(Place):
    """An official air-quality reference station."""

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,39}$")


class District(_Facts):
    """An administrative district (區) with its boundary."""

    code: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    point: tuple[float, float]
    """(latitude, longitude) inside the district; its estimates stand for the district."""
    boundary: Coordinates = Field(default=(), repr=False)

    @property
    def label(self) -> str:
        """Both names, as lists and alerts show them: the Chinese, a space, the English."""
        return f"{self.name_zh} {self.name_en}"

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies inside the district's boundary."""
        return inside((lon, lat), self.boundary)


class CityProfile(_Facts):
    """One city's facts; modules read them here instead of naming any city."""

    key: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    short_names: tuple[str, ...] = ()
    """What people call the city in a question (a short form): the chatbot's home places."""
    government_zh: str = Field(min_length=1)
    government_en: str = Field(min_length=1)
    time_zone: str
    extent: Extent
    centre: tuple[float, float]
    """(latitude, longitude) the maps fall back to when there is nothing to centre on."""
    map_cells: tuple[int, int] = (220, 250)
    """Width and height, in grid cells, of the estimated surface over the extent."""
    helpline: Helpline
    payments: PaymentCodes
    districts: tuple[District, ...] = Field(min_length=1)
    schools: tuple[Place, ...] = ()
    """Schools where the demo city places its Airboxes; none: around the districts' points."""
    stations: tuple[Station, ...] = ()
    """Reference air-quality stations in the city."""
    landmarks: tuple[Landmark, ...] = ()
    """Places people name when they ask about the air or parking near them."""
    airbox_recording: str = Field("", pattern=r"^([\w.-]+\.csv(\.gz)?)?$")
    """A recording of the city's own Airboxes (a file in the sensors' demo recordings folder):
    the demo loads a sample of its readings as they were, under the real devices' ids."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from error
        return value

    @field_validator("map_cells")
    @classmethod
    def _grid_size(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not all(2 <= side <= 500 for side in value):
            raise ValueError("map_cells are 2 to 500 cells a side")
        return value

    @model_validator(mode="after")
    def _holds_together(self) -> Self:
        if not self.extent.contains(*self.centre):
            raise ValueError(f"the centre {self.centre} lies outside the extent")
        codes = [d.code for d in self.districts]
        if len(set(codes)) != len(codes):
            raise ValueError("district codes repeat")
        for place in (*self.schools, *self.stations, *self.landmarks):
            if not self.extent.contains(*place.point):
                raise ValueError(f"{place.name}'s point lies outside the extent")
        for district in self.districts:
            if not self.extent.contains(*district.point):
                raise ValueError(f"district {district.code}'s point lies outside the extent")
            if district.boundary and not district.contains(*district.point):
                raise ValueError(f"district {district.code}'s point lies outside its boundary")
        return self

    @property
    def name(self) -> str:
        """The city's name as its header shows it."""
        return self.name_zh

    def name_in(self, locale: str) -> str:
        """The city's name in a page's language (zh-Hant first, English second)."""
        return self.name_en if locale.startswith("en") else self.name_zh

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.time_zone)

    def district(self, code: str) -> District | None:
        """The district with this code, if the city has one."""
        return next((d for d in self.districts if d.code == code), None)

    def district_of(self, lat: float, lon: float) -> District | None:
        """The district a point lies in, if any."""
        return next((d for d in self.districts if d.contains(lat, lon)), None)


def profile_directory(city: str) -> Path:
    """Where the profile named by SMARTCITY_CITY lives: a shipped name or a directory."""
    if "/" not in city and "\\" not in city and city not in (".", ".."):
        shipped = SHIPPED / city
        if shipped.is_dir():
            return shipped
    path = Path(city).expanduser()
    if path.is_dir():
        return path
    names = ", ".join(sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()))
    raise CityProfileError(
        f"SMARTCITY_CITY={city!r} is neither a shipped city ({names}) nor a profile directory"
    )


def _boundaries(path: Path) -> dict[str, Any]:
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
        features = collection["features"]
        return {
            f["properties"]["code"]: f["geometry"]["coordinates"]
            if f["geometry"]["type"] == "MultiPolygon"
            else [f["geometry"]["coordinates"]]
            for f in features
        }
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CityProfileError(f"{path}: not a GeoJSON of districts by code ({error})") from error


@cache
def load_city(city: str) -> CityProfile:
    """The validated profile SMARTCITY_CITY names; CityProfileError says what is wrong."""
    directory = profile_directory(city)
    source = directory / "profile.toml"
    try:
        facts = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CityProfileError(f"{source}: {error}") from error
    boundaries = _boundaries(directory / "districts.geojson")
    districts = facts.get("districts", [])
    if isinstance(districts, list):
        codes = {d.get("code") for d in districts if isinstance(d, dict)}
        unmatched = sorted(set(boundaries) ^ codes, key=str)
        if unmatched:
            raise CityProfileError(
                f"{directory}: districts without a boundary or boundaries without a district: "
                + ", ".join(map(str, unmatched))
            )
        facts["districts"] = [
            {**d, "boundary": boundaries[d["code"]]} for d in districts if isinstance(d, dict)
        ]
    try:
        return CityProfile.model_validate({"key": directory.name, **facts})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in error.errors()
        )
        raise CityProfileError(f"{source}: {problems}") from None


DEFAULT_CITY = "taipei"
_current: CityProfile | None = None


def use_city(profile: CityProfile) -> None:
    """Set the city being served, once at start-up (as the time zone is set)."""
    global _current
    _current = profile


def current_city() -> CityProfile:
    """The city being served: for settings' defaults and code that has no platform at hand."""
    return _current if _current is not None else load_city(DEFAULT_CITY)
