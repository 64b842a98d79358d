"""alerts' own settings (`SMARTCITY_ALERTS_*`), each documented in docs/alerts.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertsSettings(BaseSettings):
    """Limits of event intake and the MQTT ingester's connection."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_ALERTS_", env_file=".env", extra="ignore", frozen=True
    )

    max_body_bytes: int = Field(
        32_768, ge=1024, le=1_000_000, description="Largest event body (HTTP or MQTT)."
    )
    max_data_bytes: int = Field(
        8_192, ge=256, le=500_000, description="Largest raw detector output (`data`), as JSON."
    )
    max_clock_skew_s: int = Field(
        300, ge=0, le=86_400, description="How far in the future a dateIssued may lie."
    )
    dead_letter_chars: int = Field(
        4_000, ge=200, le=100_000, description="Characters of a refused body kept."
    )
    mqtt_broker: str = Field("", description="MQTT broker URL of `smartcity alerts mqtt`.")
    mqtt_owner: str = Field(
        "",
        max_length=32,
        description="Device owner whose detectors the MQTT ingester takes (empty: any).",
    )
    mqtt_client_id: str = Field(
        "smartcity-alerts-ingester", description="Persistent-session client id of the ingester."
    )
