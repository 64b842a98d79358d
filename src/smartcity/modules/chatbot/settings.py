"""chatbot's settings (`SMARTCITY_CHATBOT_*`), each documented in docs/chatbot.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChatbotSettings(BaseSettings):
    """LINE channel credentials, the reply endpoint and the answering thresholds."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_CHATBOT_", env_file=".env", extra="ignore", frozen=True
    )

    line_channel_secret: str = Field(
        "", description="LINE channel secret; signs webhook bodies. Empty refuses every webhook."
    )
    line_access_token: str = Field("", description="LINE channel access token for the reply API.")
    line_api_base: str = Field(
        "https://api.line.me", description="Base URL of the Messaging API (replies: /v2/bot/…)."
    )
    answer_threshold: float = Field(
        0.6, ge=0, le=1, description="Confidence at or above which one answer is given."
    )
    suggest_threshold: float = Field(
        0.3, ge=0, le=1, description="Confidence at or above which the best three are offered."
    )
    reply_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="Timeout of one call to the LINE reply API."
    )
    reply_attempts: int = Field(3, ge=1, le=10, description="Tries of one reply before giving up.")
    home_places: str = Field(
        "",
        description="The city's own names, comma-separated; questions naming other Taiwanese "
        "cities or counties are about their services, not this city's. Empty: the profile's.",
    )
    districts: str = Field(
        "",
        description="The city's districts, comma-separated; a question naming one is not "
        "answered from an item about another district's office or facility. Empty: the "
        "profile's.",
    )
