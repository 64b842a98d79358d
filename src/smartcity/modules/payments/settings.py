"""payments' own settings (`SMARTCITY_PAYMENTS_*`), each documented in docs/payments.md."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartcity.core.city import current_city


class PaymentsSettings(BaseSettings):
    """What an operator may set for the payment platform."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_PAYMENTS_", env_file=".env", extra="ignore", frozen=True
    )

    collection_code: str = Field(
        "",
        pattern=r"^([0-9A-Z]{3})?$",
        description="3-character store collection code; empty: the city profile's.",
    )
    virtual_account_prefix: str = Field(
        "",
        pattern=r"^(\d{5})?$",
        description="The city's 5-digit virtual-account prefix; empty: the city profile's.",
    )
    payee_name: str = Field("", description="Payee shown on TWQR codes; empty: the profile's.")
    twqr_verification_code: str = Field(
        "",
        pattern=r"^[0-9A-Za-z+/=]{0,32}$",
        description="TWQR D3, the verification code the acquiring bank issues the city.",
    )
    twqr_acquirer: str = Field(
        "", pattern=r"^[0-9,]{0,64}$", description="TWQR D11, the acquiring bank's field."
    )
    webhook_tolerance_seconds: int = Field(
        300, ge=1, le=3600, description="Signed callbacks older than this are refused."
    )
    webhook_max_attempts: int = Field(8, ge=1, le=50, description="Attempts before giving up.")
    webhook_backoff_seconds: int = Field(
        30, ge=1, le=3600, description="First retry delay; doubles each attempt."
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=60, description="Per attempt.")
    autopay_delay_days: int = Field(
        1, ge=0, le=30, description="Autopay takes effect this many days after binding."
    )
    autopay_charge_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="How long a provider may take to answer a charge."
    )
    sandbox_max_delay_ms: int = Field(
        2000, ge=0, le=60000, description="Sandbox callbacks come up to this late."
    )
    sandbox_duplicate_rate: float = Field(
        0.1, ge=0, le=1, description="Share of sandbox callbacks sent twice."
    )
    sandbox_secret: str = Field(
        "", description="Secret signing sandbox callbacks; empty derives one from the keys."
    )

    @model_validator(mode="before")
    @classmethod
    def _city_codes(cls, values: Any) -> Any:
        # The profile holds the city's codes; a setting given here overrides it (ADR 19).
        if not isinstance(values, dict):
            return values
        codes = current_city().payments
        given = {name: value for name, value in values.items() if value != ""}
        return {name: getattr(codes, name) for name in _CITY_CODES} | given


_CITY_CODES = ("collection_code", "virtual_account_prefix", "payee_name")
