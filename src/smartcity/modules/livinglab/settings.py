"""livinglab's own settings (`SMARTCITY_LIVINGLAB_*`), documented in docs/livinglab.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LivinglabSettings(BaseSettings):
    """What an operator may set for the living lab."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_LIVINGLAB_", env_file=".env", extra="ignore", frozen=True
    )

    office_department: str = Field(
        "SCPMO", description="Code of the project management office that screens and matches."
    )
    expert_staff_role: str = Field(
        "expert", description="Staff role that marks an officer as an outside evaluation expert."
    )
    max_attachment_bytes: int = Field(
        1_000_000, ge=1024, le=50_000_000, description="Largest proposal attachment accepted."
    )
    max_attachments_per_proposal: int = Field(
        10, ge=1, le=100, description="How many files one proposal may carry."
    )
    trusted_keys: str = Field(
        "",
        description="Comma-separated base64 Ed25519 public keys of cities whose exports are "
        "accepted; empty accepts any document whose signature verifies with its own key.",
    )
    origin: str = Field(
        "", description="Name of this city in exported documents; empty uses the base URL."
    )
