"""participation's settings (`SMARTCITY_PARTICIPATION_*`), documented in docs/participation.md."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.modules.participation.values import Custody, TrusteeHolder


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
    trustees: dict[TrusteeHolder, Custody] = Field(
        default_factory=lambda: {
            TrusteeHolder.CITY: Custody.PLATFORM,
            TrusteeHolder.COMMITTEE: Custody.PLATFORM,
        },
        description="The key shares of new elections, in trustees.json's order, and who holds "
        'each: JSON such as `{"city": "platform", "committee": "outside"}`. Only an `outside` '
        "share keeps the server from decrypting alone (docs/participation.md).",
    )

    @field_validator("trustees")
    @classmethod
    def _at_least_two(cls, value: dict[TrusteeHolder, Custody]) -> dict[TrusteeHolder, Custody]:
        if len(value) < 2:
            raise ValueError("an election needs at least two trustees")
        return value
