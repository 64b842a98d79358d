"""participation's settings (`SMARTCITY_PARTICIPATION_*`), documented in docs/participation.md."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.modules.participation.values import Custody, TrusteeHolder, TrusteePlan

PLAYS_EVERY_TRUSTEE = ("demo", "test")
"""The environments (`SMARTCITY_ENVIRONMENT`) where the platform may hold every key share and so
decrypt ballots on its own: the demo city and the tests, whose trustees are nobody."""


class ParticipationSettings(BaseSettings):
    """The Belenios group of new elections, their trustees and the seconding rule of citizen
    proposals."""

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
    budget_min_age: int = Field(
        16,
        ge=0,
        le=120,
        description="The least age of a district budget vote's voters, who must also live, "
        "study or work in the district (as identity recorded from their papers).",
    )
    seconding_days: int = Field(
        45, ge=1, le=365, description="Days a citizen's proposal has to gather its seconds."
    )
    trustees: dict[TrusteeHolder, Custody] | None = Field(
        None,
        description="The key shares of new elections and who holds each: JSON such as "
        '`{"city": "platform", "committee": "outside"}`. Empty: the platform plays every '
        'trustee in the demo and test environments, else `{"city": "platform", "committee": '
        '"outside"}`. A value leaving no share outside is refused at start-up outside the demo '
        "and test environments (docs/participation.md).",
    )
    threshold: int | None = Field(
        None,
        ge=1,
        description="When set, the outside trustees share their part of the key as one "
        "threshold group: any `threshold` of them decrypt, together with the platform's shares.",
    )

    @field_validator("trustees")
    @classmethod
    def _at_least_two(
        cls, value: dict[TrusteeHolder, Custody] | None
    ) -> dict[TrusteeHolder, Custody] | None:
        if value is not None and len(value) < 2:
            raise ValueError("an election needs at least two trustees")
        return value

    @model_validator(mode="after")
    def _threshold_fits(self) -> Self:
        if self.threshold is None:
            return self
        outside = sum(c is Custody.OUTSIDE for c in (self.trustees or {}).values())
        if outside < 2 or self.threshold > outside:
            raise ValueError(
                "a threshold needs at least two outside trustees, and at most as many as there "
                "are outside trustees"
            )
        return self

    def plan_in(self, environment: str) -> TrusteePlan:
        """The trustees of new elections in `environment`, the default filled in."""
        if self.trustees is not None:
            return TrusteePlan(self.trustees, self.threshold)
        committee = Custody.PLATFORM if environment in PLAYS_EVERY_TRUSTEE else Custody.OUTSIDE
        return TrusteePlan(
            {TrusteeHolder.CITY: Custody.PLATFORM, TrusteeHolder.COMMITTEE: committee}
        )

    def refusal_in(self, environment: str) -> str | None:
        """Why these trustees may not run in `environment`: the platform would hold every share
        outside the demo and test environments."""
        if environment in PLAYS_EVERY_TRUSTEE:
            return None
        if self.plan_in(environment).platform_decrypts_alone:
            return (
                "SMARTCITY_PARTICIPATION_TRUSTEES leaves every key share on the platform, so the "
                "city's server could decrypt ballots alone; only the "
                f"{' and '.join(PLAYS_EVERY_TRUSTEE)} environments allow it. Name an outside "
                'trustee, e.g. {"city": "platform", "committee": "outside"}.'
            )
        return None
