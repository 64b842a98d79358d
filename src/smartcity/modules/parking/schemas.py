"""parking's request and response bodies."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smartcity.modules.parking.values import BayKind, BayStatus

_CLOCK = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"
_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
Rate = Field(None, ge=0, le=10_000)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowIn(_In):
    """A charging window: the rate that applies on some days between two local times."""

    days: Literal["all", "weekday", "weekend"] = "all"
    start: str = Field("00:00", pattern=_CLOCK)
    end: str = Field("24:00", pattern=_CLOCK)
    per_hour: int | None = Rate
    per_half_hour: int | None = Rate

    @model_validator(mode="after")
    def _ordered(self) -> WindowIn:
        if self.start >= self.end or self.start == "24:00":
            raise ValueError("a window starts before it ends")
        if self.per_hour is not None and self.per_half_hour is not None:
            raise ValueError("a window has one rate: per_hour or per_half_hour")
        return self


class TariffIn(_In):
    """What a stay costs: `{"per_hour": 40}` is NT$40 an hour, all day, every day."""

    per_hour: int | None = Rate
    per_half_hour: int | None = Rate
    free_minutes: int = Field(0, ge=0, le=240)
    daily_cap: int | None = Field(None, ge=0, le=100_000)
    windows: list[WindowIn] = Field(default_factory=list, max_length=24)
    """Charging hours; none means the whole day at the tariff's rate."""

    @model_validator(mode="after")
    def _consistent(self) -> TariffIn:
        if self.per_hour is not None and self.per_half_hour is not None:
            raise ValueError("a tariff has one rate: per_hour or per_half_hour")
        if self.per_hour is None and self.per_half_hour is None:
            unpriced = [w for w in self.windows if w.per_hour is None and w.per_half_hour is None]
            if unpriced or not self.windows:
                raise ValueError("name a rate: per_hour or per_half_hour")
        for kind in ("weekday", "weekend"):
            spans = sorted((w.start, w.end) for w in self.windows if w.days in ("all", kind))
            if any(a[1] > b[0] for a, b in pairwise(spans)):
                raise ValueError("charging windows of one day overlap")
        return self


class BayIn(_In):
    """A bay and its sensor."""

    code: str = Field(pattern=_CODE)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: BayKind = BayKind.CAR
    dev_eui: str | None = Field(None, pattern=r"^[0-9A-Fa-f]{16}$")
    sensor_model: str = Field("", max_length=40)
    sensor_owner: str | None = Field(
        None,
        max_length=32,
        description="A WiFi device's owner (a device-owner organisation) whose device keys post "
        "its readings; default: the segment's department",
    )

    @field_validator("dev_eui")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class SegmentIn(_In):
    """A road segment with its bays, tariff and (for administrators) department."""

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    tariff: TariffIn
    bays: list[BayIn] = Field(default_factory=list, max_length=2000)
    department: str | None = Field(None, max_length=32)
    """Only administrators name it; an officer's segment is their department's."""
    fee_item: str | None = Field(None, max_length=40)
    geometry: dict[str, Any] | None = None


class TariffChangeIn(_In):
    """A segment's new tariff; sessions already open keep the one they started under."""

    tariff: TariffIn


class BayOut(BaseModel):
    """A bay as the API shows it."""

    code: str
    segment: str
    kind: BayKind
    status: BayStatus
    since: datetime | None
    lat: float
    lon: float
    dev_eui: str | None
    sensor_model: str
    heard_at: datetime | None
    battery_volts: float | None
    fault: str | None


class SegmentOut(BaseModel):
    """A segment as the API shows it."""

    code: str
    name: str
    name_en: str
    district: str | None
    department: str
    fee_item: str
    tariff: dict[str, Any]
    total_bays: int
    free_bays: int
    bays: list[BayOut]


class SightingIn(_In):
    """A plate seen in a bay."""

    bay: str = Field(pattern=_CODE)
    plate: str = Field(min_length=2, max_length=16)
    seen_at: datetime


class SightingOut(BaseModel):
    """What a sighting did: the session it named (None: no vehicle sensed there then)."""

    bay: str
    plate: str
    seen_at: datetime
    session: str | None
    bill_reference: str | None


class SessionOut(BaseModel):
    """A parking session as the API shows it."""

    id: str
    bay: str
    segment: str
    plate: str | None
    arrived_at: datetime
    departed_at: datetime | None
    state: str
    fee: int | None
    bill_reference: str | None


class NameOut(BaseModel):
    """A name in both languages, as TDX spells the keys."""

    Zh_tw: str
    En: str


class SegmentAvailabilityOut(BaseModel):
    """One segment's free bays, as TDX's CurbParkingSegmentAvailability names them."""

    ParkingSegmentID: str
    ParkingSegmentName: NameOut
    TotalSpaces: int
    AvailableSpaces: int
    FullStatus: int
    """0 bays free, 1 full, -1 unknown (no sensor of the segment is reporting)."""
    DataCollectTime: datetime | None


class AvailabilityOut(BaseModel):
    """Every segment's free bays (TDX's ParkingSegmentAvailability shape)."""

    SrcUpdateTime: datetime
    CurbParkingSegmentAvailabilities: list[SegmentAvailabilityOut]


class TcmsvParkOut(BaseModel):
    """One segment's free bays, as the TCMSV live parking feed names a car park's."""

    id: str
    availablecar: int
    """Free bays other than scooter bays; -9 when none of them is reporting."""
    availablemotor: int
    """Free scooter bays; -9 when the segment has none reporting."""
    availablebus: int
    """Always -9: no roadside bay is a bus bay."""


class TcmsvDataOut(BaseModel):
    """The feed's `data`: when it was last updated (the city's local time) and the segments."""

    UPDATETIME: str
    park: list[TcmsvParkOut]


class TcmsvAvailabilityOut(BaseModel):
    """Every segment's free bays in the shape of TCMSV's live availability feed."""

    data: TcmsvDataOut
