"""Platform settings, read from `SMARTCITY_*` environment variables and `.env`."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from smartcity.core.city import DEFAULT_CITY, CityProfile, load_city

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class Settings(BaseSettings):
    """Everything an operator may set; each field is documented in docs/operations.md."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTCITY_", env_file=".env", extra="ignore", frozen=True
    )

    environment: str = Field("development", description="development, test, demo or production")
    data_dir: Path = Field(Path("var"), description="Where the SQLite file and keys live.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite at <data_dir>/smartcity.db."
    )
    modules: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Enabled modules, comma separated; empty enables every shipped module."
    )
    base_url: str = Field("http://127.0.0.1:8000", description="Public URL of this instance.")
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Host names answered besides base_url's (demo, production), comma separated.",
    )
    city: str = Field(
        DEFAULT_CITY,
        description="The city profile: a shipped city's name or a profile directory (ADR 19).",
    )
    city_name: str = Field(
        "", description="Overrides the profile's name in the portal header; empty: the profile's."
    )
    time_zone: str = Field(
        "",
        description="Overrides the profile's IANA time zone (times are shown in it, days start "
        "at its midnight); empty: the profile's.",
    )
    transparency_origin: str = Field(
        "",
        description="Origin line of signed checkpoints (C2SP tlog-checkpoint); empty means "
        "base_url's host and path followed by /transparency.",
    )
    secure_cookies: bool = Field(
        False,
        description="Served over HTTPS: cookies Secure, HSTS sent; always true in production.",
    )
    session_hours: int = Field(12, ge=1, le=24 * 30, description="Portal session lifetime.")
    access_token_minutes: int = Field(60, ge=1, le=24 * 60, description="JWT lifetime.")
    max_body_bytes: int = Field(2_000_000, ge=1024, description="Larger request bodies get 413.")
    log_requests: bool = Field(True, description="One JSON log line per request.")
    outbound_allow_private: bool | None = Field(
        None,
        description="Let caller-chosen URLs (webhooks, charge URLs) reach private and local "
        "addresses; empty means only outside production.",
    )
    rate_limit_storage: str = Field(
        "memory://", description="Where per-client rate limits count: memory:// or redis://…"
    )
    worker_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="How long an idle job worker waits before looking again."
    )
    worker_lease_seconds: int = Field(
        120,
        ge=3,
        le=3600,
        description="A job whose worker stopped renewing its claim this long ago runs again.",
    )
    jobs_keep_days: int = Field(
        14, ge=1, le=3650, description="Finished jobs older than this are pruned."
    )
    # Federation to an outside OAuth 2.0 identity provider (the city's own digital-ID app).
    federation_name: str = Field("", description="Button label; empty disables federation.")
    federation_authorize_url: str = ""
    federation_token_url: str = ""
    federation_userinfo_url: str = ""
    federation_client_id: str = ""
    federation_client_secret: str = ""
    federation_scope: str = "openid profile"

    @field_validator("modules", "allowed_hosts", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if not value:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like Asia/Tokyo"
            ) from error
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _known_rate_limit_storage(cls, value: str) -> str:
        # The `limits` storages that count moving windows without an async client.
        schemes = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
        if value.partition("://")[0] not in schemes:
            raise ValueError(f"rate-limit storage must be a URI with scheme {', '.join(schemes)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _https_in_production(cls, values: Any) -> Any:
        # Production is always behind HTTPS: a forgotten or wrong SMARTCITY_SECURE_COOKIES must
        # not send session cookies in clear text.
        if isinstance(values, dict) and values.get("environment") == "production":
            return {**values, "secure_cookies": True}
        return values

    @cached_property
    def city_profile(self) -> CityProfile:
        """The city served: its profile, with the name and time zone set here, if any."""
        profile = load_city(self.city)
        overrides = {"name_zh": self.city_name, "time_zone": self.time_zone}
        return profile.model_copy(update={k: v for k, v in overrides.items() if v})

    @property
    def checkpoint_origin(self) -> str:
        """The log's name on its checkpoints: the setting, else this instance's public URL's
        host and path (a C2SP origin has no scheme) followed by /transparency."""
        if self.transparency_origin:
            return self.transparency_origin
        public = urlsplit(self.base_url)
        return f"{public.netloc}{public.path.rstrip('/')}/transparency"

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'smartcity.db').as_posix()}"

    @property
    def outbound_private_allowed(self) -> bool:
        """Whether outbound calls to caller-chosen URLs may reach non-public addresses."""
        if self.outbound_allow_private is None:
            return self.environment != "production"
        return self.outbound_allow_private

    @property
    def trusted_hosts(self) -> frozenset[str] | None:
        """Host names the web app answers for; None (any) in development and tests."""
        if self.environment in ("development", "test"):
            return None
        names = (urlsplit(self.base_url).hostname or "", *self.allowed_hosts)
        # An IPv6 address may be written as in a URL, in brackets.
        hosts = frozenset(name.strip().strip("[]").lower() for name in names if name.strip())
        # A platform served on this machine's loopback is reached by any of its names: whoever
        # opens http://localhost:8000 for http://127.0.0.1:8000 is on the same machine.
        if hosts & _LOOPBACK_NAMES:
            hosts |= _LOOPBACK_NAMES
        return hosts

    @property
    def keys_dir(self) -> Path:
        """Where signing and pseudonymisation keys are kept when not given otherwise."""
        return self.data_dir / "keys"

    @property
    def federation_enabled(self) -> bool:
        """Whether the portal offers sign-in through an outside identity provider."""
        return bool(self.federation_name and self.federation_authorize_url)
