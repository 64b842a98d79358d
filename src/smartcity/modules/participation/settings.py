"""participation's settings (`SMARTCITY_PARTICIPATION_*`), documented in docs/participation.md."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ParticipationSettings(BaseSettings):
    """The Belenios group of new elections and the seconding rule of citizen proposals."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_PARTICIPATION_", env_file=".env", extra="ignore", frozen=True
    )

    group: Literal["BELENIOS-2048", "RFC-3526-2048"] = Field(
        "BELENIOS-2048",
        description="Belenios group of new elections (both are known to belenios-tool 2.0).",
    )
    seconds_needed: int = Field(
        1500, ge=1, description="Seconds (附議) a citizen's proposal needs to reach review."
    )
    seconding_days: int = Field(
        45, ge=1, le=365, description="Days a citizen's proposal has to gather its seconds."
    )
