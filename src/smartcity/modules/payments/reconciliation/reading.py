"""Reading both sides of a reconciliation: the file's lines (parsed, or only scanned) and
the provider's recorded payments, and which buckets of them agree without a join (ADR 9)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy import (
    Select,
    String,
    func,
    literal_column,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from smartcity.core.time import as_utc, city_zone
from smartcity.modules.payments import fingerprints
from smartcity.modules.payments.models import (
    BucketSum,
    Payment,
    Settlement,
    settled,
)
from smartcity.modules.payments.reconciliation import settlement_files
from smartcity.modules.payments.values import (
    SettlementFormat,
)

if TYPE_CHECKING:  # imported when first used: Numba takes a fifth of a second to load
    from smartcity.modules.payments.reconciliation.settlement_scan import Scan

_UNIT = "\x1f"
"""Separates the columns of a row SQLite packs into one string (the ASCII unit separator)."""

_KNOWN = {
    "provider_txn_id": pl.String,
    "amount": pl.Int64,
    "department": pl.String,
    "reference": pl.String,
    "payment_id": pl.String,
}
"""A provider's recorded payments as reconciliation reads them (payment_id only off SQLite)."""

MAX_DISAGREEING = fingerprints.BUCKETS // 4
"""Beyond this many disagreeing buckets the whole window is read (it costs about the same)."""
MAX_READ_BUCKETS = 10_000
"""Buckets named in one read (SQLite takes up to 32,766 parameters a statement)."""


def midnight(day: date) -> datetime:
    return as_utc(datetime.combine(day, time.min, city_zone()))


class Lines:
    """A settlement file's good lines: parsed into a frame, or only scanned (ADR 11)."""

    def __init__(
        self,
        raw: settlement_files.FileBytes,
        fmt: SettlementFormat,
        parsed: pl.DataFrame | Scan,
        key: int,
    ) -> None:
        self._raw = raw
        self._fmt = fmt
        self._key = key
        self._parsed = parsed if isinstance(parsed, pl.DataFrame) else None
        self._scanned = None if isinstance(parsed, pl.DataFrame) else parsed
        self._groups: NDArray[np.intp] | None = None
        if self._scanned is not None:
            days = pl.Series(self._scanned.days).cast(pl.Date)
            self.total = int(self._scanned.sums[1].sum())
        else:
            days = cast(pl.DataFrame, self._parsed)["day"]
            self.total = int(cast(pl.DataFrame, self._parsed)["amount"].sum())
        self.height = len(days)
        self.days: list[date] = days.unique().sort().to_list()
        self.first = self.days[0] if self.days else date.min
        self.last = self.days[-1] if self.days else date.min

    @classmethod
    def read(cls, raw: settlement_files.FileBytes, fmt: SettlementFormat, reader: Reader) -> Lines:
        """Scanned when the bucket sums may vouch for it and it has the plain shape."""
        key = fingerprints.key_of(reader.session.connection())
        if reader.sqlite and fmt == SettlementFormat.CSV:
            from smartcity.modules.payments.reconciliation import settlement_scan

            scanned = settlement_scan.scan(raw, key)
            # A repeated provider_txn_id leaves its bucket to the join: the frame finds which.
            if scanned is not None and not _repeats(scanned.hashes):
                return cls(raw, fmt, scanned, key)
        return cls(raw, fmt, settlement_files.parse(raw, fmt), key)

    def frame(self, buckets: NDArray[np.bool_] | None = None) -> pl.DataFrame:
        """The lines (only those of these buckets, when given), as `settlement_files.parse`."""
        if self._parsed is None:
            if buckets is not None:
                return cast("Scan", self._scanned).frame(buckets)
            self._parsed = settlement_files.parse(self._raw, self._fmt)
        if buckets is None:
            return self._parsed
        return self._parsed.filter(pl.Series(buckets[self._groups_of()]))

    def sums(self, store_file: bool) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """Per bucket: (lines, amount, check halves) — 4 × BUCKETS — and whether a repeated
        name (provider_txn_id, or write-off number in a store file) keeps it from agreeing."""
        if self._scanned is not None:
            return self._scanned.sums, np.zeros(fingerprints.BUCKETS, np.bool_)
        key, lines = self._key, cast(pl.DataFrame, self._parsed)
        references = fingerprints.text_hashes(key, lines["reference"])
        named = (
            references if store_file else fingerprints.text_hashes(key, lines["provider_txn_id"])
        )
        checks = fingerprints.checks(key, named, lines["amount"], lines["day"])
        groups = self._groups_of(references)
        amounts = lines["amount"].to_numpy()
        size = fingerprints.BUCKETS

        def per_group(values: Any) -> Any:
            # Float sums of integers below 2**53 are exact: every value is split to stay there.
            return np.bincount(groups, weights=values.astype(np.float64), minlength=size).astype(
                np.int64
            )

        ours = np.stack(
            [
                np.bincount(groups, minlength=size),
                (per_group(amounts >> 26) << 26) + per_group(amounts & (2**26 - 1)),
                per_group(checks >> np.uint64(31)),
                per_group(checks & np.uint64(2**31 - 1)),
            ]
        )
        repeated = np.zeros(size, np.bool_)
        if _repeats(named):
            repeated = (
                np.bincount(
                    groups, weights=pl.Series(named).is_duplicated().to_numpy(), minlength=size
                )
                > 0
            )
        return ours, repeated

    def _groups_of(self, references: NDArray[np.uint64] | None = None) -> NDArray[np.intp]:
        """Each parsed line's bucket (10 bits of its write-off number's hash)."""
        if self._groups is None:
            if references is None:
                lines = cast(pl.DataFrame, self._parsed)
                references = fingerprints.text_hashes(self._key, lines["reference"])
            self._groups = (references >> np.uint64(64 - fingerprints.BUCKET_BITS)).astype(np.intp)
        return self._groups


def _repeats(hashes: NDArray[np.uint64]) -> bool:
    ordered = np.sort(hashes)
    return bool((ordered[1:] == ordered[:-1]).any())


class Agreed:
    """The lines of the buckets whose sums agree with the file: all matched, none read."""

    def __init__(
        self, buckets: NDArray[np.bool_], total: int, by_department_day: pl.DataFrame
    ) -> None:
        self.buckets = buckets
        """Whether each bucket (of the 1024 of a day) agrees: its payments are not read."""
        self.count = int(by_department_day["len"].sum())
        self.total = total
        self.by_department_day = by_department_day
        """department, day, len: the matched lines of agreeing buckets."""

    @classmethod
    def nothing(cls) -> Agreed:
        return cls(
            np.zeros(fingerprints.BUCKETS, np.bool_),
            0,
            pl.DataFrame(schema={"department": pl.String, "day": pl.Date, "len": pl.Int64}),
        )


def _agreeing(lines: Lines, sums: pl.DataFrame, store_file: bool) -> Agreed:
    """Which lines the per-bucket sums vouch for.

    Lines and payments are grouped by 10 bits of the write-off number's hash, over all the
    window's days. Where a group's lines have the count, amount and check sums of its
    unsettled payments, and each of them is the only line naming its payment
    (provider_txn_id in a CSV file, the write-off number in a store file), they name exactly
    those payments with their amounts and days (the checks are keyed 62-bit hashes of
    them): the full join would match every one of them, on the payment's day, and find none
    of those payments missing. A line and the payment it names share a group unless they
    disagree, so the groups left over are reconciled alone, by the full join.
    """
    ours, repeated = lines.sums(store_file)
    size = fingerprints.BUCKETS
    theirs = np.zeros_like(ours)
    stored = sums["bucket"].to_numpy() % size
    high, low = ("reference_high", "reference_low") if store_file else ("txn_high", "txn_low")
    for row, column in enumerate(("payments", "amount", high, low)):
        np.add.at(theirs[row], stored, sums[column].to_numpy())
    same = (ours == theirs).all(axis=0) & ~repeated
    vouched = sums.filter(pl.Series(same[stored]))
    return Agreed(
        same,
        int(ours[1][same].sum()),
        vouched.group_by(
            "department",
            ((pl.col("bucket") // size) - _EPOCH_ORDINAL).cast(pl.Int32).cast(pl.Date).alias("day"),
        ).agg(pl.col("payments").sum().alias("len")),
    )


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class Reader:
    """Reads a provider's unsettled payments of some local days, as columns."""

    def __init__(self, session: Session, provider: str, store_file: bool) -> None:
        self.session = session
        self.provider = provider
        self.store_file = store_file
        self.columns = [c for c in _KNOWN if store_file or c != "reference"]
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.covers = self.sqlite
        """SQLite's single writer lets a settlement cover its window (no mark per payment)."""

    def agreeing(self, lines: Lines, first: date, last: date) -> Agreed | None:
        """The lines the bucket sums vouch for; None when the sums cannot be used.

        They are kept on SQLite only, and count payments without a settlement mark: an
        earlier settlement covering part of the window leaves some of those settled."""
        lower, upper = midnight(first), midnight(last + timedelta(days=1))
        if not self.sqlite or self._covered_before(lower, upper):
            return None
        sums = pl.DataFrame(
            self.session.execute(
                select(
                    BucketSum.bucket,
                    BucketSum.department,
                    BucketSum.payments,
                    BucketSum.amount,
                    BucketSum.txn_high,
                    BucketSum.txn_low,
                    BucketSum.reference_high,
                    BucketSum.reference_low,
                ).where(
                    BucketSum.provider == self.provider, *_buckets_between(BucketSum, first, last)
                )
            ).all(),
            schema={
                "bucket": pl.Int64,
                "department": pl.String,
                **dict.fromkeys(
                    (
                        "payments",
                        "amount",
                        "txn_high",
                        "txn_low",
                        "reference_high",
                        "reference_low",
                    ),
                    pl.Int64,
                ),
            },
            orient="row",
        )
        agreed = _agreeing(lines, sums, self.store_file)
        days = last.toordinal() - first.toordinal() + 1
        disagreeing = int((~agreed.buckets).sum())
        few = disagreeing <= MAX_DISAGREEING
        return agreed if few and disagreeing * days <= MAX_READ_BUCKETS else None

    def window(self, first: date, last: date) -> pl.DataFrame:
        """The unsettled payments paid from `first` to `last`."""
        lower, upper = midnight(first), midnight(last + timedelta(days=1))
        if self._covered_before(lower, upper):
            # An earlier settlement covers part of the window: the database says which
            # payments it left unsettled (rare: a second file for the same days).
            return self._frame(self._query(first, last).where(~settled()))
        return self.read(first, last)

    def read(self, first: date, last: date, groups: Sequence[int] | None = None) -> pl.DataFrame:
        """The provider's payments without a settlement mark, paid from `first` to `last`
        (only those of these buckets of each day, when given)."""
        query = self._query(first, last)
        if groups is not None:
            if not groups:
                return _typed(pl.DataFrame(schema=_KNOWN), self.columns)
            days = range(first.toordinal(), last.toordinal() + 1)
            query = query.where(
                Payment.bucket.in_([d * fingerprints.BUCKETS + g for d in days for g in groups])
            )
        if not self.sqlite:
            return self._frame(query)
        # SQLite hands the rows over as one string (group_concat, in C) which Polars reads
        # as CSV: a million Python tuples would cost seconds.
        names = [c.name for c in query.selected_columns]
        unit: Any = literal_column("char(31)")
        columns: list[Any] = [c.element for c in query.selected_columns]
        joined = functools.reduce(lambda a, b: a.op("||")(unit).op("||")(b), columns)
        row = func.group_concat(joined, literal_column("char(10)"))
        count, text = self.session.execute(query.with_only_columns(func.count(), row)).one()
        if not count:
            return _typed(pl.DataFrame(schema={n: _KNOWN[n] for n in names}), self.columns)
        # A value holding a separator or a carriage return would shift the columns: then
        # the rows are read one by one.
        if "\r" in text or text.count(_UNIT) != count * (len(names) - 1):
            return self._frame(query)
        try:
            frame = pl.read_csv(
                text.encode("utf-8", "surrogatepass"),
                has_header=False,
                new_columns=names,
                separator=_UNIT,
                quote_char=None,
                infer_schema=False,
                empty_string_is_null=False,
            )
        except pl.exceptions.PolarsError:  # a line break inside a value
            return self._frame(query)
        return _typed(frame, self.columns) if frame.height == count else self._frame(query)

    def _query(self, first: date, last: date) -> Select[*tuple[Any, ...]]:
        columns = {
            "provider_txn_id": Payment.provider_txn_id,
            "amount": Payment.amount,
            "department": Payment.department,
            "reference": Payment.reference,
            "payment_id": sql_cast(Payment.id, String),
        }
        wanted = [c for c in self.columns if c != "payment_id" or not self.sqlite]
        # `settlement_id IS NULL` spelled out: it selects the partial covering index.
        return select(*(columns[c].label(c) for c in wanted)).where(
            Payment.provider == self.provider,
            *_buckets_between(Payment, first, last),
            Payment.settlement_id.is_(None),
        )

    def _frame(self, query: Select[*tuple[Any, ...]]) -> pl.DataFrame:
        if self.sqlite:  # the exact query reads ids too
            query = query.add_columns(sql_cast(Payment.id, String).label("payment_id"))
        names = [c.name for c in query.selected_columns]
        rows = self.session.execute(query).all()
        frame = pl.DataFrame(rows, schema={n: _KNOWN[n] for n in names}, orient="row")
        return _typed(frame, self.columns)

    def _covered_before(self, lower: datetime, upper: datetime) -> bool:
        return (
            self.session.scalar(
                select(Settlement.id)
                .where(
                    Settlement.provider == self.provider,
                    Settlement.covers_recorded_before.is_not(None),
                    Settlement.window_start < upper,
                    Settlement.window_end > lower,
                )
                .limit(1)
            )
            is not None
        )


def _buckets_between(table: type[Payment] | type[BucketSum], first: date, last: date) -> list[Any]:
    """The rows of the local days `first` to `last` (a bucket starts with its day)."""
    return [
        table.bucket >= first.toordinal() * fingerprints.BUCKETS,
        table.bucket < (last.toordinal() + 1) * fingerprints.BUCKETS,
    ]


def _typed(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """`frame` with every column of `_KNOWN` (absent ones null), typed."""
    return frame.select(
        (pl.col(c) if c in frame.columns and c in columns else pl.lit(None)).cast(t).alias(c)
        for c, t in _KNOWN.items()
    )
