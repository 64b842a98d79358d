"""Request and response bodies of identity's API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartcity.core.auth import Role
from smartcity.modules.identity.values import (
    BindingKind,
    BindingState,
    OrganisationKind,
    VerificationLevel,
)

Text100 = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]
District = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
"""A district code of the city's profile (checked against the city when recorded)."""


class Me(BaseModel):
    """Who the caller is."""

    id: str | None
    kind: str = Field(description="user or organisation")
    role: Role | None
    name: str = Field(description="Empty for a person's credential without the profile scope")
    department: str | None = Field(None, description="Department code, for officers")
    organisation: str | None = Field(None, description="Organisation code, for machine keys")
    scopes: list[str]
    credential: str
    verification_level: VerificationLevel | None = None
    national_id_masked: str | None = None


class CitizenIn(BaseModel):
    """Register a citizen."""

    model_config = ConfigDict(extra="forbid")

    national_id: Annotated[str, StringConstraints(min_length=10, max_length=10)]
    name: Text100
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    email: Annotated[str, StringConstraints(max_length=200)] | None = None
    verification_level: VerificationLevel = VerificationLevel.BASIC
    birth_date: date | None = None
    lives_in: District | None = None
    studies_in: District | None = None
    works_in: District | None = None


class CitizenFactsIn(BaseModel):
    """What an officer read off a citizen's papers; a field left out or null clears it."""

    model_config = ConfigDict(extra="forbid")

    birth_date: date | None = Field(None, description="As on the national ID card.")
    lives_in: District | None = Field(
        None, description="District code of the household registration (戶籍), e.g. `xinyi`."
    )
    studies_in: District | None = Field(None, description="District code of the school.")
    works_in: District | None = Field(None, description="District code of the workplace.")


class CitizenOut(BaseModel):
    """A citizen as officers see them: the national ID only masked."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    national_id_masked: str | None
    verification_level: VerificationLevel
    email: str | None
    phone: str | None
    created_at: datetime
    birth_date: date | None
    lives_in: str | None
    studies_in: str | None
    works_in: str | None


class VerificationIn(BaseModel):
    """Change a citizen's verification level."""

    model_config = ConfigDict(extra="forbid")

    level: VerificationLevel


class OrganisationIn(BaseModel):
    """Register an organisation."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[
        str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    ]
    kind: OrganisationKind
    name: Text200
    name_en: Annotated[str, StringConstraints(max_length=200)] = ""


class OrganisationOut(BaseModel):
    """An organisation."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    kind: OrganisationKind
    name: str
    name_en: str
    active: bool


class StaffIn(BaseModel):
    """Create an officer or an admin."""

    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description="officer or admin")
    name: Text100
    email: Annotated[str, StringConstraints(min_length=3, max_length=200)]
    department: Annotated[str, StringConstraints(max_length=32)] | None = None
    staff_roles: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=20
    )
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None


class StaffOut(BaseModel):
    """A staff member."""

    id: uuid.UUID
    role: Role
    name: str
    email: str | None
    department: str | None
    staff_roles: list[str]


class ApiKeyIn(BaseModel):
    """Issue an API key to an organisation or a person."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    label: Annotated[str, StringConstraints(max_length=200)] = ""
    scopes: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=20,
        description="`*` (everything the role may do) or scopes of the role (docs/identity.md)",
    )
    organisation: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        None, description="Organisation code (for provider, device, vendor, officer keys)"
    )
    user_id: uuid.UUID | None = Field(None, description="A person (for personal keys)")


class ApiKeyOut(BaseModel):
    """An API key without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prefix: str
    label: str
    role: Role
    scopes: list[str]
    user_id: uuid.UUID | None
    organisation_id: uuid.UUID | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedApiKey(ApiKeyOut):
    """A new key: `token` is shown this once and cannot be recovered."""

    token: str


class BindingIn(BaseModel):
    """Bind an identifier to your digital ID."""

    model_config = ConfigDict(extra="forbid")

    kind: BindingKind
    value: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    label: Annotated[str, StringConstraints(max_length=100)] = ""
    provider: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        None, description="Provider code, for payment methods"
    )
    effective_from: date | None = Field(None, description="Defaults to the city's today")


class BindingOut(BaseModel):
    """A binding and where it stands."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: BindingKind
    value: str = Field(
        validation_alias="shown_value",
        description="The identifier; bank accounts and payment tokens masked",
    )
    label: str
    state: BindingState
    provider_id: uuid.UUID | None
    effective_from: date
    effective_to: date | None
    created_at: datetime
    decided_at: datetime | None


class BindingDecisionIn(BaseModel):
    """Confirm or refuse a binding."""

    model_config = ConfigDict(extra="forbid")

    verified: bool
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
