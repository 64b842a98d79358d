"""identity's own settings (`SMARTCITY_IDENTITY_*`), documented in docs/identity.md."""

from __future__ import annotations

from limits import parse_many
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IdentitySettings(BaseSettings):
    """How hard guessing a password or a client secret is made."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_IDENTITY_", env_file=".env", extra="ignore", frozen=True
    )

    sign_in_attempts: str = Field(
        "20 per minute; 200 per hour",
        description="Sign-in attempts (right or wrong) one client address may make.",
    )
    lockout_per_client: str = Field(
        "5 per 15 minutes",
        description="Failed sign-ins for one account from one client address before that "
        "address is locked out of that account until the window ends.",
    )
    lockout_per_account: str = Field(
        "30 per day",
        description="Failed sign-ins for one account from all addresses before it is locked "
        "for every browser that has not signed in to it before.",
    )

    api_key_memory_seconds: int = Field(
        2,
        ge=0,
        le=60,
        description="How long a worker answers for an API key it verified without asking the "
        "database again; a key revoked elsewhere works that long more there (0: ask each time).",
    )

    @field_validator("sign_in_attempts", "lockout_per_client", "lockout_per_account")
    @classmethod
    def _limits_notation(cls, value: str) -> str:
        parse_many(value)  # raises ValueError for anything `limits` cannot read
        return value
