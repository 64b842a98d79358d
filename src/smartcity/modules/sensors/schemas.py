"""Bodies of sensors' JSON API (the LASS, Airbox and WiFi-device uploads and their answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class IngestOut(BaseModel):
    """What an upload did."""

    received: int = Field(description="Messages in the upload")
    stored: int = Field(description="New observations stored")
    duplicates: int = Field(description="Observations already stored (same device and time)")
    refused: int = Field(description="Messages kept in the dead-letter table")
    devices_created: int = Field(description="Devices seen for the first time")


class DeadLetterOut(BaseModel):
    """A refused message with its reason."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    source: str
    topic: str
    payload: str
    reason: str


class DeviceLatestOut(BaseModel):
    """A device's latest values."""

    device_id: str
    thing_id: int
    name: str
    kind: str
    latitude: float
    longitude: float
    time: datetime
    values: dict[str, float]


class HttpUplinkIn(BaseModel):
    """One reading of a WiFi bay sensor or parking meter, at the device's own time."""

    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(
        pattern=r"^[0-9A-Fa-f]{16}$", description="The device's EUI-64, as its bay registered it"
    )
    time: AwareDatetime = Field(description="When the device sensed it (RFC 3339, with offset)")
    message: Literal["status", "heartbeat"] = Field(
        "status", description="`status`: a change of occupancy; `heartbeat`: health only"
    )
    occupied: bool | None = Field(None, description="Whether a vehicle is in the bay")
    battery_volts: float | None = Field(None, ge=0, le=24)
    temperature: float | None = Field(None, ge=-60, le=125, description="The device's own")
    fault: str | None = Field(
        None, min_length=1, max_length=40, description="The device's fault code, if any"
    )

    @field_validator("device_id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class HttpUplinksIn(BaseModel):
    """Readings a WiFi device posts at once (a meter may post what it buffered offline)."""

    model_config = ConfigDict(extra="forbid")

    readings: list[HttpUplinkIn] = Field(min_length=1, max_length=500)


class HttpUplinksOut(BaseModel):
    """What a post of readings did."""

    received: int = Field(description="Readings in the post")
    stored: int = Field(description="New readings stored (and applied by subscribers)")
    duplicates: int = Field(description="Readings already stored (same device and time)")
    refused: list[str] = Field(description="Reasons of readings kept as dead letters")
