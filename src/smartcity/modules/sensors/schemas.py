"""Bodies of sensors' JSON API (the LASS and Airbox uploads and their answers)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
