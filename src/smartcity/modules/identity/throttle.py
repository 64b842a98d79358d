"""Slowing down the guessing of passwords and client secrets (docs/adr/0013).

- Every sign-in attempt counts against the client's address (`core.ratelimit`).
- Failed attempts count per (account, address) and per account, in the database, with
  the `limits` library's fixed windows over `DatabaseStorage`: every worker and host sees
  the same counts, and a SQLite-only city needs nothing else.
- Past the per-(account, address) limit that address is locked out of that account only:
  one guesser is stopped and the owner, elsewhere, is not.
- Past the slower per-account limit (a guesser spread over many addresses) the account is
  locked for every browser that has not signed in to it before. Browsers that have carry a
  signed device cookie and keep their own per-address limit, so knowing someone's ID number
  is not enough to lock them out (OWASP's device-cookie scheme).
- An account is named by a keyed digest of the login as typed, registered or not: lockout
  looks the same for an unknown ID as for a known one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from limits import RateLimitItem
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Table, case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from smartcity.core.auth import ANONYMOUS
from smartcity.core.db import WRITE_OPTION, Database
from smartcity.core.errors import TooManyRequests
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.ratelimit import limiter_of, rates
from smartcity.core.time import UTCDateTime, format_local, isoformat_z, utcnow
from smartcity.modules.identity.models import SignInCounter
from smartcity.modules.identity.settings import IdentitySettings

DEVICE_COOKIE = "sc_device"
DEVICE_SECONDS = 180 * 24 * 3600
"""How long a browser that signed in stays exempt from the per-account lock."""


class AccountLocked(TooManyRequests):
    """Too many failed sign-ins for this account from here; it unlocks at `until`."""

    code = "account_locked"
    title = "Sign-in locked"

    def __init__(self, until: datetime) -> None:
        when = format_local(until)
        super().__init__(
            f"登入失敗次數過多，請於 {when} 後再試。"
            f"Too many failed sign-ins; try again after {when} (the city's time).",
            retry_after=math.ceil((until - utcnow()).total_seconds()),
            locked_until=isoformat_z(until),
        )


class DatabaseStorage(Storage):
    """A `limits` storage for fixed windows in `identity_sign_in_counters`.

    Each call is its own short transaction, so it must not run inside another write
    transaction (SQLite would wait for its own lock).
    """

    STORAGE_SCHEME = None  # made directly, never from a URI

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.engine = db.engine.execution_options(**{WRITE_OPTION: True})
        self.table = cast(Table, SignInCounter.__table__)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the window of `key`, starting a new window if it has ended."""
        now = utcnow()
        ends = literal(now + timedelta(seconds=expiry), UTCDateTime())
        table = self.table
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        live = table.c.expires_at > now
        # One statement: concurrent failures on several workers all count.
        upsert = (
            dialect.insert(table)
            .values(key=key, count=amount, expires_at=ends)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((live, table.c.count + amount), else_=amount),
                    "expires_at": case((live, table.c.expires_at), else_=ends),
                },
            )
            .returning(table.c.count)
        )
        with self.engine.begin() as connection:
            # Ended windows of other keys go too, so the table holds only live counts.
            connection.execute(delete(table).where(table.c.expires_at <= now, table.c.key != key))
            count: int = connection.execute(upsert).scalar_one()
        return count

    def get(self, key: str) -> int:
        """The count in the live window of `key` (0 if none)."""
        with self.engine.connect() as connection:
            count = connection.execute(
                select(self.table.c.count).where(
                    self.table.c.key == key, self.table.c.expires_at > utcnow()
                )
            ).scalar_one_or_none()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        """When the live window of `key` ends (now if there is none), as a Unix time."""
        with self.engine.connect() as connection:
            ends = connection.execute(
                select(self.table.c.expires_at).where(self.table.c.key == key)
            ).scalar_one_or_none()
        now = utcnow()
        return max(ends, now).timestamp() if ends is not None else now.timestamp()

    def check(self) -> bool:
        """Whether the database answers."""
        with self.engine.connect() as connection:
            connection.execute(select(1))
        return True

    def reset(self) -> int | None:
        """Forget every count."""
        with self.engine.begin() as connection:
            return connection.execute(delete(self.table)).rowcount

    def clear(self, key: str) -> None:
        """Forget the count of `key`."""
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key == key))


@dataclass(frozen=True)
class Attempt:
    """Who tries to sign in to what: keyed digests, never the login or address itself."""

    kind: str
    """`person` (a password) or `client` (an OAuth client secret)."""
    account: str
    address: str
    trusted: bool = False
    """The browser signed in to this account before (a valid device cookie)."""


class SignInGuard:
    """Applies one platform's sign-in limits (`SMARTCITY_IDENTITY_*`) to attempts."""

    def __init__(self, platform: Platform) -> None:
        found = platform.module_settings.get("identity")
        settings = found if isinstance(found, IdentitySettings) else IdentitySettings()
        self.platform = platform
        self.attempts = rates(settings.sign_in_attempts)
        self.per_client = rates(settings.lockout_per_client)
        self.per_account = rates(settings.lockout_per_account)
        self.windows = FixedWindowRateLimiter(DatabaseStorage(platform.db))

    def attempt(self, kind: str, login: str, address: str, device: str | None = None) -> Attempt:
        """The attempt of `address` to sign in as `login` (`device`: the device cookie)."""
        keys: KeyRing = self.platform.keys
        account = keys.pseudonym(f"sign-in:{kind}", login)[:32]
        return Attempt(
            kind,
            account,
            keys.pseudonym("sign-in:address", address)[:32],
            trusted=device is not None and device == account,
        )

    def _locks(self, attempt: Attempt) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        here = (attempt.kind, attempt.account, attempt.address)
        locks: list[tuple[RateLimitItem, tuple[str, ...]]] = [(i, here) for i in self.per_client]
        # A client secret is unguessable; locking the client everywhere would only let
        # anyone stop an application from signing people in.
        if attempt.kind == "person" and not attempt.trusted:
            locks += [(item, (attempt.kind, attempt.account)) for item in self.per_account]
        return locks

    def check(self, attempt: Attempt) -> None:
        """Count a password attempt against its address (429 `rate_limited` past the limit)
        and refuse any attempt while the account is locked for it (429 `account_locked`)."""
        if attempt.kind == "person":
            limiter_of(self.platform).hit(self.attempts, "sign-in", attempt.address)
        for item, identifiers in self._locks(attempt):
            if not self.windows.test(item, *identifiers):
                reset, _remaining = self.windows.get_window_stats(item, *identifiers)
                raise AccountLocked(datetime.fromtimestamp(reset, UTC))

    def failed(self, attempt: Attempt, request_id: str) -> None:
        """Count a failed attempt; the failure that starts a lock is audited."""
        for item, identifiers in self._locks(attempt):
            self.windows.hit(item, *identifiers)
            reset, remaining = self.windows.get_window_stats(item, *identifiers)
            if remaining == 0:
                until = datetime.fromtimestamp(reset, UTC)
                with self.platform.unit_of_work(ANONYMOUS, request_id) as uow:
                    uow.audit(
                        "identity.sign_in.locked",
                        f"{attempt.kind}_login",
                        attempt.account,
                        {
                            "for": "address" if len(identifiers) == 3 else "account",
                            "until": isoformat_z(until),
                        },
                    )

    def succeeded(self, attempt: Attempt) -> None:
        """A right password ends this address's count for the account (not the account's)."""
        for item in self.per_client:
            self.windows.clear(item, attempt.kind, attempt.account, attempt.address)
