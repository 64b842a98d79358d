"""Reconciliation: a provider's settlement file against the payments recorded here.

The whole pipeline is columnar. The file is parsed and validated by Polars
(`settlement_files`). On SQLite, the file's lines are grouped into the buckets of
`fingerprints` and compared with the sums the database keeps per bucket (ADR 9): every line
of an agreeing bucket is matched without reading its payment, and only the payments of the
other buckets are read — as columns, in one query. One join classifies the lines left; only
the report, its exceptions and the few payments to record or mark are written, in the
caller's transaction, with one audit entry. On SQLite the settlement *covers* its window
instead of writing a mark on each matched payment (see `models.settled`).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy import (
    Select,
    String,
    Table,
    case,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.errors import InvalidInput
from smartcity.core.time import as_utc, city_zone, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import errors, fingerprints, ledger, service, settlement_files
from smartcity.modules.payments.departments import department_shown, own_organisation
from smartcity.modules.payments.models import (
    Bill,
    BucketSum,
    Payment,
    Settlement,
    SettlementLine,
    settled,
)
from smartcity.modules.payments.values import (
    AccountType,
    Channel,
    EntryKind,
    MatchOutcome,
    PaymentFlag,
    SettlementFormat,
)

if TYPE_CHECKING:  # imported when first used: Numba takes a fifth of a second to load
    from smartcity.modules.payments.settlement_scan import Scan

CHUNK = 5000
Progress = Callable[[str], None]
"""Told the name of each stage as it starts (reading, matching, recording)."""

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


def reconcile(
    uow: UnitOfWork,
    provider: str,
    data: str | settlement_files.FileBytes,
    fmt: SettlementFormat | None = None,
    progress: Progress | None = None,
) -> Settlement:
    """Match a settlement file against recorded payments and write the report."""
    session = uow.session
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    chosen = fmt or settlement_files.detect_format(raw)
    store_file = chosen == SettlementFormat.FIXED
    stage = progress or (lambda _stage: None)
    # First statement of the transaction: on SQLite it takes the write lock, so nothing can
    # be recorded between the read below and the commit.
    provider_row = service.ensure_provider(session, provider)
    cutoff = utcnow()
    reader = _Reader(session, provider, store_file)
    stage("reading")
    every_line = _Lines.read(raw, chosen, reader)
    if not every_line.height:
        raise errors.InvalidFile("the file has no lines")
    first, last = every_line.first, every_line.last
    agreed = reader.agreeing(every_line, first, last)
    if agreed is None:
        lines, known = every_line.frame(), reader.window(first, last)
        agreed = _Agreed.nothing()
    else:
        lines = every_line.frame(~agreed.buckets)
        known = reader.read(first, last, np.flatnonzero(~agreed.buckets).tolist())
    stage("matching")
    settlement = Settlement(
        id=uuid.uuid4(),
        provider=provider,
        format=chosen.value,
        lines=every_line.height,
        total=every_line.total,
        counts={},
        days=[d.isoformat() for d in every_line.days],
        window_start=_midnight(first),
        window_end=_midnight(last + timedelta(days=1)),
        covers_recorded_before=cutoff if reader.covers else None,
    )
    session.add(settlement)
    session.flush()
    joined = _classify(lines, known, store_file)
    resolved = _resolve(uow, settlement, provider, joined, store_file)
    outcomes = _outcomes(joined, resolved)
    missing = _missing(known, outcomes)
    stage("recording")
    findings = _findings(session, settlement.id, provider, outcomes, missing)
    if findings:
        session.execute(insert(SettlementLine), findings)
    matched = outcomes.filter(pl.col("outcome") == MatchOutcome.MATCHED.value)
    if not reader.covers:
        in_range = matched.filter(~pl.col("outside"))["payment_id"].to_list()
        _mark(session, settlement.id, [uuid.UUID(p) for p in in_range])
    _mark(session, settlement.id, [uuid.UUID(p) for p in resolved.marked])
    counts = _counts(outcomes, missing)
    counts[MatchOutcome.MATCHED.value] += agreed.count
    settled_total = int(matched["amount"].sum()) + agreed.total + resolved.recorded_total
    paid = counts[MatchOutcome.MATCHED.value] + counts[MatchOutcome.RECORDED.value]
    fees = provider_row.fee * paid
    net = settled_total - fees
    if net > 0:
        ledger.post(
            session,
            EntryKind.SETTLEMENT,
            settlement.id,
            [
                ledger.debit(ledger.account(AccountType.CITY_BANK, "treasury"), net),
                ledger.credit(ledger.account(AccountType.PROVIDER_CLEARING, provider), net),
            ],
        )
    settlement.counts = {
        "outcomes": counts,
        "by_department_day": _by_department_day(outcomes, missing, agreed.by_department_day),
        "settled_total": settled_total,
        "fees": fees,
    }
    uow.audit(
        "payments.settlement.reconciled",
        "settlement",
        settlement.id,
        {"provider": provider, "lines": every_line.height, **counts},
    )
    return settlement


def _midnight(day: date) -> datetime:
    return as_utc(datetime.combine(day, time.min, city_zone()))


class _Lines:
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
    def read(
        cls, raw: settlement_files.FileBytes, fmt: SettlementFormat, reader: _Reader
    ) -> _Lines:
        """Scanned when the bucket sums may vouch for it and it has the plain shape."""
        key = fingerprints.key_of(reader.session.connection())
        if reader.sqlite and fmt == SettlementFormat.CSV:
            from smartcity.modules.payments import settlement_scan

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


class _Agreed:
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
    def nothing(cls) -> _Agreed:
        return cls(
            np.zeros(fingerprints.BUCKETS, np.bool_),
            0,
            pl.DataFrame(schema={"department": pl.String, "day": pl.Date, "len": pl.Int64}),
        )


def _agreeing(lines: _Lines, sums: pl.DataFrame, store_file: bool) -> _Agreed:
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
    return _Agreed(
        same,
        int(ours[1][same].sum()),
        vouched.group_by(
            "department",
            ((pl.col("bucket") // size) - _EPOCH_ORDINAL).cast(pl.Int32).cast(pl.Date).alias("day"),
        ).agg(pl.col("payments").sum().alias("len")),
    )


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class _Reader:
    """Reads a provider's unsettled payments of some local days, as columns."""

    def __init__(self, session: Session, provider: str, store_file: bool) -> None:
        self.session = session
        self.provider = provider
        self.store_file = store_file
        self.columns = [c for c in _KNOWN if store_file or c != "reference"]
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.covers = self.sqlite
        """SQLite's single writer lets a settlement cover its window (no mark per payment)."""

    def agreeing(self, lines: _Lines, first: date, last: date) -> _Agreed | None:
        """The lines the bucket sums vouch for; None when the sums cannot be used.

        They are kept on SQLite only, and count payments without a settlement mark: an
        earlier settlement covering part of the window leaves some of those settled."""
        lower, upper = _midnight(first), _midnight(last + timedelta(days=1))
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
        lower, upper = _midnight(first), _midnight(last + timedelta(days=1))
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


def _classify(lines: pl.DataFrame, known: pl.DataFrame, store_file: bool) -> pl.DataFrame:
    """Each line with the recorded payment it names and an outcome, where one join decides it.

    A CSV line names its payment by provider_txn_id. A store line has no id: it consumes the
    next recorded payment of its bill (both taken in order), and the same line twice is a
    duplicate. Lines left without an outcome are resolved one by one (`_resolve`).
    """
    key = "provider_txn_id"
    lines = lines.with_columns(pl.col(key).hash().alias("h"))
    # Equal strings have equal hashes: with no repeated hash there is no repeated line.
    first = lines["h"].is_first_distinct()
    if not first.all():
        first = lines[key].is_first_distinct()
    lines = lines.with_columns(first.alias("first"))
    payments = known.select(
        pl.col(key).alias("payment_txn"),
        pl.col("amount").alias("known_amount"),
        pl.col("department").alias("known_department"),
        "payment_id",
        "reference",
    )
    if store_file:
        lines = lines.with_columns(
            pl.when("first")
            .then(pl.col("first").cast(pl.Int64).cum_sum().over("reference"))
            .alias("rank")
        )
        payments = payments.sort("payment_txn").with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("reference").alias("rank")
        )
        joined = lines.join(payments, on=["reference", "rank"], how="left", maintain_order="left")
    else:
        joined = _join_by_txn(lines, payments.drop("reference"))
    return joined.with_columns(
        pl.when(~pl.col("first"))
        .then(pl.lit(MatchOutcome.DUPLICATE.value))
        .when(pl.col("known_amount") == pl.col("amount"))
        .then(pl.lit(MatchOutcome.MATCHED.value))
        .when(pl.col("known_amount").is_not_null())
        .then(pl.lit(MatchOutcome.AMOUNT_MISMATCH.value))
        .alias("outcome")
    )


def _join_by_txn(lines: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """Lines left-joined to the payments with their provider_txn_id.

    Joined on the strings' 64-bit hashes (several times cheaper), then checked string by
    string: a pair whose ids differ is dropped (that line is resolved one by one), and two
    payments sharing a hash (no join row may multiply) send it back to the string join.
    """
    known = payments.with_columns(pl.col("payment_txn").hash().alias("h"))
    joined = lines.join(known, on="h", how="left")
    if joined.height != lines.height:
        return lines.join(
            payments,
            left_on="provider_txn_id",
            right_on="payment_txn",
            how="left",
            maintain_order="left",
        ).with_columns(
            pl.when(pl.col("known_amount").is_not_null())
            .then(pl.col("provider_txn_id"))
            .alias("payment_txn")
        )
    same = pl.col("payment_txn") == pl.col("provider_txn_id")
    return joined.with_columns(
        pl.when(same).then(pl.col(c)).alias(c)
        for c in ("payment_txn", "known_amount", "known_department", "payment_id")
    )


class _Resolved:
    """What the one-by-one resolution of the remaining lines decided."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.marked: list[str] = []
        """Payments outside the window the file confirmed, and those recorded from it: marked
        together once every line is resolved."""
        self.recorded_total = 0


def _resolve(
    uow: UnitOfWork,
    settlement: Settlement,
    provider: str,
    joined: pl.DataFrame,
    store_file: bool,
) -> _Resolved:
    """Lines no recorded payment of the window explains (normally a handful).

    A CSV line may name a payment of another day; otherwise, when the bill exists, the file
    is the proof of payment ("paid at the store, callback lost") and the payment is recorded
    now, with every flag the platform gives money collected; with no such bill it is unknown.
    """
    session = uow.session
    result = _Resolved()
    open_lines = joined.filter(
        pl.col("outcome").is_null() | pl.col("known_department").is_null()
    ).sort("line_no")  # in file order: the first of two payments of a bill settles it
    if not open_lines.height:
        return result
    elsewhere = {} if store_file else _by_txn(session, provider, open_lines["provider_txn_id"])
    bills = _bills_by_reference(session, open_lines["reference"].to_list())
    for line in open_lines.iter_rows(named=True):
        bill = bills.get(line["reference"])
        row = {
            "line_no": line["line_no"],
            "outcome": line["outcome"],
            "payment_id": line["payment_id"],
            "department": bill[1] if bill else "",
            "outside": False,
        }
        result.rows.append(row)
        if line["outcome"] is not None:  # a duplicate: it needed only its department
            continue
        other = elsewhere.get(line["provider_txn_id"])
        if other is not None:
            row.update(payment_id=other["payment_id"], department=other["department"])
            if other["settled"]:  # confirmed by an earlier file
                row["outcome"] = MatchOutcome.DUPLICATE.value
            elif other["amount"] == line["amount"]:
                row.update(outcome=MatchOutcome.MATCHED.value, outside=True)
                result.marked.append(other["payment_id"])
            else:
                row["outcome"] = MatchOutcome.AMOUNT_MISMATCH.value
        elif bill is not None:
            request = service.PaymentRequest(
                reference=line["reference"],
                amount=line["amount"],
                channel=(Channel.STORE if store_file else Channel.BANK).value,
                provider_txn_id=line["provider_txn_id"],
                paid_at=line["paid_at"],
            )
            payment, created = service.post_payment(uow, provider, request, source="settlement")
            row["payment_id"] = payment["id"]
            if created:
                result.marked.append(payment["id"])
                row["outcome"] = MatchOutcome.RECORDED.value
                result.recorded_total += line["amount"]
            else:  # already recorded from an earlier file
                row["outcome"] = MatchOutcome.DUPLICATE.value
        else:
            row["outcome"] = MatchOutcome.UNKNOWN.value
    return result


def _outcomes(joined: pl.DataFrame, resolved: _Resolved) -> pl.DataFrame:
    """Every line's final outcome, department and payment (line_no order)."""
    frame = joined.select(
        "line_no",
        "provider_txn_id",
        "reference",
        "amount",
        "day",
        "payment_txn",
        "outcome",
        "payment_id",
        pl.col("known_department").alias("department"),
        pl.lit(value=False).alias("outside"),
    )
    if not resolved.rows:
        return frame
    fixes = pl.DataFrame(
        resolved.rows,
        schema={
            "line_no": pl.Int64,
            "outcome": pl.String,
            "payment_id": pl.String,
            "department": pl.String,
            "outside": pl.Boolean,
        },
    )
    return frame.update(fixes, on="line_no", how="left", include_nulls=False)


def _missing(known: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """The payments no line consumed."""
    consumed = outcomes.filter(pl.col("payment_txn").is_not_null())["payment_txn"]
    # Each payment has its own id and a line consumes only an equal one: when as many
    # distinct ids were consumed as there are payments, every payment was.
    if consumed.hash().n_unique() == known.height:
        return known.clear()
    return known.join(
        consumed.unique().to_frame("provider_txn_id"), on="provider_txn_id", how="anti"
    )


def _counts(outcomes: pl.DataFrame, missing: pl.DataFrame) -> dict[str, int]:
    counted = dict(outcomes["outcome"].value_counts().iter_rows())
    counted[MatchOutcome.MISSING.value] = missing.height
    return {o.value: int(counted.get(o.value, 0)) for o in MatchOutcome}


def _by_department_day(
    outcomes: pl.DataFrame, missing: pl.DataFrame, agreed: pl.DataFrame
) -> list[dict[str, Any]]:
    lines = (
        pl.concat(
            [
                outcomes.group_by("department", "day", "outcome").len(),
                agreed.with_columns(pl.lit(MatchOutcome.MATCHED.value).alias("outcome")),
            ],
            how="diagonal_relaxed",
        )
        .group_by("department", "day", "outcome")
        .agg(pl.col("len").sum())
    )
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    groups = [
        (department, day.isoformat(), outcome, count)
        for department, day, outcome, count in lines.iter_rows()
    ] + [
        (department, "", MatchOutcome.MISSING.value, count)
        for department, count in missing.group_by("department").len().iter_rows()
    ]
    for department, day, outcome, count in groups:
        row = rows.setdefault((department, day), {"department": department, "day": day})
        row[outcome] = int(count)
    return [rows[k] for k in sorted(rows)]


def _findings(
    session: Session,
    settlement_id: uuid.UUID,
    provider: str,
    outcomes: pl.DataFrame,
    missing: pl.DataFrame,
) -> list[dict[str, object]]:
    """The report's rows: every line that did not match, and every payment the file lacks."""
    lines = outcomes.filter(pl.col("outcome") != MatchOutcome.MATCHED.value).sort("line_no")
    # The bulk read on SQLite skips ids and write-off numbers: the few needed are fetched.
    lacking = pl.concat(
        [
            lines.filter(pl.col("payment_id").is_null() & pl.col("payment_txn").is_not_null())[
                "payment_txn"
            ],
            missing.filter(pl.col("payment_id").is_null() | pl.col("reference").is_null())[
                "provider_txn_id"
            ],
        ]
    )
    extra = _by_txn(session, provider, lacking) if lacking.len() else {}
    findings = []
    for line in lines.iter_rows(named=True):
        payment_id = line["payment_id"] or extra.get(line["payment_txn"] or "", {}).get(
            "payment_id"
        )
        findings.append(
            _finding(
                settlement_id,
                line["line_no"],
                line["outcome"],
                line["provider_txn_id"],
                line["reference"],
                line["amount"],
                payment_id,
                line["department"] or "",
                line["day"].isoformat(),
            )
        )
    for payment in missing.sort("provider_txn_id").iter_rows(named=True):
        found = extra.get(payment["provider_txn_id"], {})
        findings.append(
            _finding(
                settlement_id,
                0,
                MatchOutcome.MISSING.value,
                payment["provider_txn_id"],
                payment["reference"] or found.get("reference", ""),
                payment["amount"],
                payment["payment_id"] or found.get("payment_id"),
                payment["department"],
                "",
            )
        )
    return findings


def _finding(
    settlement_id: uuid.UUID,
    line_no: int,
    outcome: str,
    txn: str,
    reference: str,
    amount: int,
    payment_id: str | None,
    department: str,
    day: str,
) -> dict[str, object]:
    return {
        "settlement_id": settlement_id,
        "line_no": line_no,
        "outcome": outcome,
        "provider_txn_id": txn[:64],
        "reference": reference[:32],
        "amount": amount,
        "payment_id": uuid.UUID(payment_id) if payment_id else None,
        "department": department,
        "day": day,
    }


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _by_txn(session: Session, provider: str, txns: pl.Series) -> dict[str, dict[str, Any]]:
    """The provider's payments with these transaction ids, whatever their day or status."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(txns.unique().to_list()):
        for row in session.execute(
            select(
                Payment.provider_txn_id,
                sql_cast(Payment.id, String).label("payment_id"),
                Payment.amount,
                Payment.department,
                Payment.reference,
                settled().label("settled"),
            ).where(Payment.provider == provider, Payment.provider_txn_id.in_(chunk))
        ).mappings():
            found[row["provider_txn_id"]] = dict(row)
    return found


def _mark(session: Session, settlement_id: uuid.UUID, payment_ids: Sequence[uuid.UUID]) -> None:
    """Give these payments the final 核銷 status, a chunk of them a statement."""
    table = cast(Table, Payment.__table__)
    for chunk in _chunks(payment_ids):
        session.execute(
            update(table).where(table.c.id.in_(chunk)).values(settlement_id=settlement_id),
            execution_options={"synchronize_session": False},
        )


def _bills_by_reference(
    session: Session, references: Sequence[str]
) -> dict[str, tuple[uuid.UUID, str]]:
    """(bill id, department) by reference: a write-off number or, as banks list, a virtual
    account."""
    wanted = sorted({n for n in references if len(n) == 16 and n.isdigit()})
    found: dict[str, tuple[uuid.UUID, str]] = {}
    for chunk in _chunks(wanted):
        for number, account, bill_id, department in session.execute(
            select(Bill.write_off_number, Bill.virtual_account, Bill.id, Bill.department).where(
                or_(Bill.write_off_number.in_(chunk), Bill.virtual_account.in_(chunk))
            )
        ):
            for reference in (number, account):
                found[reference] = (bill_id, department)
    return found


def unknown_reason(reference: str) -> str:
    """Why money a file lists under `reference` has no bill here, as the provider API says
    it: a reference that cannot be one (`invalid_write_off_number`, `invalid_check_digit`:
    mistyped or garbled on the way), or a well-formed one no bill has
    (`unknown_reference`)."""
    try:
        service.parse_reference(reference)
    except InvalidInput as problem:
        return problem.code
    return "unknown_reference"


def settlement_report(
    session: Session, settlement: Settlement, department: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A reconciliation's (per department and day rows, findings), for one department or all;
    an `unknown` finding says why no bill has its reference."""
    by_day = list(settlement.counts.get("by_department_day", []))
    if department:
        by_day = [row for row in by_day if row.get("department") == department]
    findings = [
        {
            "line": finding.line_no,
            "outcome": finding.outcome,
            "provider_txn_id": finding.provider_txn_id,
            "reference": finding.reference,
            "amount": finding.amount,
            "payment_id": str(finding.payment_id) if finding.payment_id else None,
            "department": finding.department,
            "day": finding.day,
            "reason": (
                unknown_reason(finding.reference)
                if finding.outcome == MatchOutcome.UNKNOWN
                else None
            ),
        }
        for finding in findings_of(session, settlement.id, department)
    ]
    return by_day, findings


def report_for(
    session: Session, principal: Principal, settlement_id: uuid.UUID
) -> tuple[Settlement, list[dict[str, Any]], list[dict[str, Any]]]:
    """A settlement file and its report as `principal` may see them: a provider its own files
    whole (another's is a 404), staff their departments' rows and findings."""
    settlement = get_settlement(session, settlement_id)
    provider = own_organisation(principal)
    if provider is not None and settlement.provider != provider:
        raise errors.SettlementNotFound("no such settlement")
    department = None if provider is not None else department_shown(principal)
    by_day, findings = settlement_report(session, settlement, department)
    return settlement, by_day, findings


def list_settlements(
    session: Session, limit: int = 100, provider: str | None = None
) -> Sequence[Settlement]:
    """The latest settlement files received (of one provider, or all), newest first."""
    query = select(Settlement).order_by(Settlement.received_at.desc()).limit(limit)
    if provider is not None:
        query = query.where(Settlement.provider == provider)
    return session.execute(query).scalars().all()


def get_settlement(session: Session, settlement_id: uuid.UUID) -> Settlement:
    """A settlement by id, or NotFound."""
    settlement = session.get(Settlement, settlement_id)
    if settlement is None:
        raise errors.SettlementNotFound("no such settlement")
    return settlement


def findings_of(
    session: Session, settlement_id: uuid.UUID, department: str | None = None, limit: int = 1000
) -> Sequence[SettlementLine]:
    """The non-matched findings of a reconciliation."""
    query = (
        select(SettlementLine)
        .where(SettlementLine.settlement_id == settlement_id)
        .order_by(SettlementLine.id)
        .limit(limit)
    )
    if department:
        query = query.where(SettlementLine.department == department)
    return session.execute(query).scalars().all()


def daily_report(
    session: Session, day: date, department: str | None = None
) -> list[dict[str, object]]:
    """Per department for one local day: collected, reconciled (核銷), unreconciled, exceptions.

    Summed by the database, each payment's own department (a copy of its bill's): a busy
    day is one pass over its payments, not a row each to Python."""
    lower = datetime.combine(day, time.min, city_zone())
    upper = lower + timedelta(days=1)
    query = (
        select(
            Payment.department,
            func.count(),
            func.sum(Payment.amount),
            func.sum(Payment.applied),
            func.sum(Payment.refund_due),
            func.sum(case((settled(), 1), else_=0)),
            func.sum(case((Payment.flag != PaymentFlag.NONE.value, 1), else_=0)),
        )
        .where(Payment.paid_at >= lower, Payment.paid_at < upper)
        .group_by(Payment.department)
        .order_by(Payment.department)
    )
    if department:
        query = query.where(Payment.department == department)
    rows: list[dict[str, object]] = []
    for dept, count, collected, applied, refund_due, reconciled, exceptions in session.execute(
        query
    ):
        # PostgreSQL sums integers as numeric: back to int.
        unreconciled = int(count) - int(reconciled)
        rows.append(
            {
                "department": dept,
                "day": day.isoformat(),
                "payments": int(count),
                "collected": int(collected),
                "applied": int(applied),
                "refund_due": int(refund_due),
                "reconciled": int(reconciled),
                "unreconciled": unreconciled,
                "exceptions": int(exceptions),
                "status": "reconciled" if unreconciled == 0 else "open",
            }
        )
    return rows


REPORT_COLUMNS = (
    "day",
    "department",
    "payments",
    "collected",
    "applied",
    "refund_due",
    "reconciled",
    "unreconciled",
    "exceptions",
    "status",
)
"""The columns of the daily report as CSV (rows are `daily_report`'s)."""
