"""parking's settings (`SMARTCITY_PARKING_*`), each documented in docs/parking.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ParkingSettings(BaseSettings):
    """How occupancy becomes sessions, and how sessions are billed."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_PARKING_", env_file=".env", extra="ignore", frozen=True
    )

    fee_item: str = Field(
        "PMO-FEE01",
        max_length=40,
        description="Payments item new segments bill their fees under (the roadside-fee item).",
    )
    debounce_seconds: int = Field(
        60,
        ge=0,
        le=3600,
        description="An occupancy shorter than this is a passing car, not a session.",
    )
    silent_after_minutes: int = Field(
        60,
        ge=5,
        le=1440,
        description="A sensor unheard this long is silent: its bay unknown, its session flagged.",
    )
    due_days: int = Field(14, ge=1, le=90, description="Days from departure to a fee's due date.")
    overstay_hours: int = Field(
        4, ge=1, le=72, description="An open session longer than this is on the enforcement list."
    )
