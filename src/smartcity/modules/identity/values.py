"""Identity's vocabularies, the rules for the identifiers people type, and the frozen views
of people, organisations and bindings that identity's public services hand other modules."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from smartcity.core.errors import InvalidInput


class VerificationLevel(StrEnum):
    """How sure the city is that a citizen is who they say (a digital-ID app's two levels)."""

    BASIC = "basic"
    """Registered with a phone or e-mail; enough for looking things up."""
    VERIFIED = "verified"
    """Identity checked against a national ID card or citizen certificate."""


class CityTie(StrEnum):
    """How a citizen belongs to a district of the city, as their papers show it."""

    LIVES = "lives"
    """Household registration (戶籍)."""
    STUDIES = "studies"
    WORKS = "works"


class OrganisationKind(StrEnum):
    """What an organisation is to the platform."""

    DEPARTMENT = "department"
    """A city department or agency: issues bills, answers questions, hosts pilots."""
    PROVIDER = "provider"
    """A bank, convenience store or wallet that collects payments."""
    DEVICE_OWNER = "device_owner"
    """Runs sensors that report to the hub (a school, a maker group, a vendor)."""
    VENDOR = "vendor"
    """A company, start-up, community group or university proposing pilots."""


class BindingKind(StrEnum):
    """Identifiers a citizen can bind to their digital ID."""

    PLATE = "plate"
    """A vehicle licence plate, e.g. ABC-1234."""
    UTILITY_ACCOUNT = "utility_account"
    """A water, gas or other utility account number."""
    STUDENT_NUMBER = "student_number"
    """A child's school and student number."""
    PAYMENT_METHOD = "payment_method"
    """A card or wallet token held at a payment provider."""
    BANK_ACCOUNT = "bank_account"
    """A receiving bank account for refunds and subsidies (bank code + account)."""


class BindingState(StrEnum):
    """Where a binding stands."""

    PENDING = "pending"
    """Asked for; waits for the owner department or provider to confirm."""
    VERIFIED = "verified"
    """Confirmed; other services may rely on it within its effective dates."""
    REJECTED = "rejected"
    """Refused by the department or provider."""
    REVOKED = "revoked"
    """Ended by the citizen or the city."""


# Taiwan national ID / resident certificate: the letter stands for a two-digit code.
_LETTER_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))
_NATIONAL_ID = re.compile(r"^[A-Z][1289]\d{8}$")


def normalise_national_id(value: str) -> str:
    """Upper-case and check a national ID (or 2021-style resident certificate) number."""
    candidate = value.strip().upper()
    if not _NATIONAL_ID.match(candidate):
        raise InvalidInput(
            "a national ID is one letter then 9 digits, e.g. A123456789",
            code="invalid_national_id",
        )
    code = _LETTER_CODES[candidate[0]]
    digits = [code // 10, code % 10] + [int(c) for c in candidate[1:]]
    weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1]
    if sum(d * w for d, w in zip(digits, weights, strict=True)) % 10:
        raise InvalidInput("the national ID's check digit is wrong", code="invalid_national_id")
    return candidate


def mask_national_id(national_id: str) -> str:
    """The form shown to people and officers: A123****89."""
    return national_id[:4] + "****" + national_id[-2:]


def mask_bank_account(account: str) -> str:
    """A bank account as people and logs see it: bank code and last four digits."""
    if not account:
        return ""
    bank, _, number = account.rpartition("-")
    hidden = "*" * max(len(number) - 4, 0) + number[-4:]
    return f"{bank}-{hidden}" if bank else hidden


SECRET_KINDS = frozenset({BindingKind.BANK_ACCOUNT, BindingKind.PAYMENT_METHOD})
"""Bindings whose value moves money: shown masked everywhere; only paying reads them whole."""


def shown_binding_value(kind: str, value: str) -> str:
    """A binding's value as pages and API answers show it (accounts and tokens masked)."""
    if kind == BindingKind.BANK_ACCOUNT:
        return mask_bank_account(value)
    if kind == BindingKind.PAYMENT_METHOD:
        return "*" * max(len(value) - 4, 0) + value[-4:]
    return value


_PATTERNS: dict[BindingKind, tuple[re.Pattern[str], str]] = {
    BindingKind.PLATE: (
        re.compile(r"^[A-Z0-9]{2,4}-[A-Z0-9]{2,4}$"),
        "a plate looks like ABC-1234 (letters and digits around one hyphen)",
    ),
    BindingKind.UTILITY_ACCOUNT: (
        re.compile(r"^[A-Z0-9-]{6,20}$"),
        "an account number has 6 to 20 letters, digits or hyphens",
    ),
    BindingKind.STUDENT_NUMBER: (
        re.compile(r"^[A-Z0-9-]{4,24}$"),
        "a student number has 4 to 24 letters, digits or hyphens (school code first)",
    ),
    BindingKind.PAYMENT_METHOD: (
        re.compile(r"^[A-Za-z0-9_.:-]{4,64}$"),
        "a payment method token has 4 to 64 letters, digits or _.:-",
    ),
    BindingKind.BANK_ACCOUNT: (
        re.compile(r"^\d{3}-\d{10,16}$"),
        "a bank account is the 3-digit bank code, a hyphen and 10 to 16 digits",
    ),
}


def normalise_binding_value(kind: BindingKind, value: str) -> str:
    """The canonical form of an identifier, or a clear error."""
    text = re.sub(r"\s+", "", value)
    text = text.replace("－", "-").replace("—", "-").replace("‐", "-")
    if kind != BindingKind.PAYMENT_METHOD:
        text = text.upper()
    pattern, message = _PATTERNS[kind]
    if not pattern.match(text):
        raise InvalidInput(message, code=f"invalid_{kind.value}")
    return text


# -- what other modules are handed -------------------------------------------------------
# Frozen copies, never ORM rows: a caller cannot change identity's records by accident, and a
# view stays readable after the session that made it is closed.


@dataclass(frozen=True)
class OrganisationView:
    """A department, provider, device owner or vendor."""

    id: uuid.UUID
    code: str
    kind: str
    """An `OrganisationKind` value."""
    name: str
    name_en: str
    active: bool


@dataclass(frozen=True)
class UserView:
    """A person: a citizen, an officer or an administrator (never their credentials)."""

    id: uuid.UUID
    role: str
    """A `core.auth.Role` value."""
    name: str
    national_id_masked: str | None
    email: str | None
    phone: str | None
    verification_level: str
    """A `VerificationLevel` value."""
    department_id: uuid.UUID | None
    staff_roles: tuple[str, ...]
    active: bool
    created_at: datetime
    birth_date: date | None
    lives_in: str | None
    """District codes, as an officer recorded them from the citizen's papers."""
    studies_in: str | None
    works_in: str | None

    def age_on(self, day: date) -> int | None:
        """Full years of age on `day`, when the birth date is known."""
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def districts_by_tie(self) -> dict[CityTie, str]:
        """The districts the citizen lives, studies and works in, those recorded."""
        recorded = {
            CityTie.LIVES: self.lives_in,
            CityTie.STUDIES: self.studies_in,
            CityTie.WORKS: self.works_in,
        }
        return {tie: code for tie, code in recorded.items() if code}


@dataclass(frozen=True)
class BindingView:
    """An identifier a citizen bound to their digital ID, and where the binding stands."""

    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    """A `BindingKind` value."""
    value: str
    """Normalised (upper case, no spaces); show `shown_value` to people."""
    provider_id: uuid.UUID | None
    label: str
    state: str
    """A `BindingState` value."""
    effective_from: date
    effective_to: date | None
    created_at: datetime
    decided_at: datetime | None

    @property
    def shown_value(self) -> str:
        """The value as people see it: bank accounts and payment tokens masked."""
        return shown_binding_value(self.kind, self.value)
