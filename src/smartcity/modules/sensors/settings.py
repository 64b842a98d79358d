"""sensors' own settings (`SMARTCITY_SENSORS_*`), each documented in docs/sensors.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SensorsSettings(BaseSettings):
    """The sensor hub's settings."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_SENSORS_", env_file=".env", extra="ignore", frozen=True
    )

    default_top: int = Field(100, ge=1, le=10_000, description="SensorThings page size.")
    max_top: int = Field(10_000, ge=1, le=100_000, description="Largest $top accepted.")
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest SensorThings or LASS request body."
    )
    max_expand_depth: int = Field(4, ge=1, le=10, description="Deepest nested $expand.")
    mqtt_broker: str = Field("", description="MQTT broker URL for the ingester and STA MQTT.")
    mqtt_owner: str = Field(
        "",
        max_length=32,
        description="Organisation code the MQTT ingester writes for (empty: the platform).",
    )
    mqtt_client_id: str = Field(
        "smartcity-sensors-ingester", description="Persistent-session client id of the ingester."
    )
    mqtt_store_processes: int = Field(
        1, ge=0, le=16, description="Processes storing batches beside the receiver (0: in it)."
    )
    demo_recordings: str = Field(
        "../shared/data/airbox",
        description="Directory of recorded Airbox readings the demo city's devices replay.",
    )
    mqtt_publish_observations: bool = Field(
        True, description="Publish new observations to v1.1/Datastreams(id)/Observations."
    )
