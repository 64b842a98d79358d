"""opendata's own settings (`SMARTCITY_OPENDATA_*`), documented in docs/opendata.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpendataSettings(BaseSettings):
    """What an operator may set for the catalogue."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_OPENDATA_", env_file=".env", extra="ignore", frozen=True
    )

    office_department: str = Field(
        "DOIT",
        description="Code of the department that runs the catalogue: its officers keep the "
        "harvest sources.",
    )
