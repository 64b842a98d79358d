"""The vectorised fingerprints and settlement stamps equal their Python definitions; every
payment gets its fingerprints; the sums the SQLite triggers keep equal those recomputed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone
from smartcity.modules.payments import fingerprints
from smartcity.modules.payments.models import BucketSum, Payment
from tests.modules.payments.conftest import Pay

# Polars holds UTF-8 only: no lone surrogates in what a file can name.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=70) | st.from_regex(
    r"\A[0-9A-Z-]{0,40}\Z"
)
days = st.dates(date(1, 1, 2), date(9999, 12, 30))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2**64 - 1),
    st.lists(
        st.tuples(texts, texts, st.integers(1, 10**12), days),
        min_size=1,
        max_size=40,
    ),
)
def test_vectorised_fingerprints_equal_the_definition(
    key: int, rows: list[tuple[str, str, int, date]]
) -> None:
    matches, references, amounts, days = (pl.Series(c) for c in zip(*rows, strict=True))
    hashes = fingerprints.text_hashes(key, matches)
    assert hashes.tolist() == [fingerprints.text_hash(key, m) for m, *_ in rows]
    checks = fingerprints.checks(key, hashes, amounts, days.cast(pl.Date))
    assert checks.tolist() == [fingerprints.check(key, m, a, d) for m, _, a, d in rows]
    buckets = fingerprints.buckets(key, references, days.cast(pl.Date))
    assert buckets.tolist() == [fingerprints.bucket(key, r, d) for _, r, _, d in rows]


def test_swapping_amounts_or_characters_between_lines_changes_the_sums() -> None:
    day = date(2026, 11, 26)

    def total(lines: list[tuple[str, int]]) -> tuple[int, int]:
        halves = [fingerprints.halves(fingerprints.check(7, m, a, day)) for m, a in lines]
        return sum(h for h, _ in halves), sum(low for _, low in halves)

    assert total([("A1", 100), ("B2", 200)]) != total([("A1", 200), ("B2", 100)])
    assert total([("A1", 100), ("B2", 100)]) != total([("A2", 100), ("B1", 100)])


def _recomputed(platform: Platform) -> dict[tuple[str, int, str], tuple[int, ...]]:
    session = platform.db.read_session()
    rows = session.execute(
        select(
            Payment.provider,
            Payment.bucket,
            Payment.department,
            func.count(),
            func.sum(Payment.amount),
            func.sum(Payment.txn_check.op(">>")(31)),
            func.sum(Payment.txn_check.op("&")(2**31 - 1)),
            func.sum(Payment.reference_check.op(">>")(31)),
            func.sum(Payment.reference_check.op("&")(2**31 - 1)),
        )
        .where(Payment.settlement_id.is_(None))
        .group_by(Payment.provider, Payment.bucket, Payment.department)
    ).all()
    session.close()
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


def _kept(platform: Platform) -> dict[tuple[str, int, str], tuple[int, ...]]:
    session = platform.db.read_session()
    rows = session.execute(select(BucketSum)).scalars().all()
    session.close()
    return {
        (r.provider, r.bucket, r.department): (
            r.payments,
            r.amount,
            r.txn_high,
            r.txn_low,
            r.reference_high,
            r.reference_low,
        )
        for r in rows
        if r.payments
    }


def test_every_payment_carries_its_fingerprints_and_the_sums_follow(
    pay: Pay, platform: Platform
) -> None:
    if platform.db.engine.dialect.name != "sqlite":
        pytest.skip("the sums are kept on SQLite only")
    paid_at = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # 01:30 on the 26th in Taipei
    bills = [pay.issue("TWD-FEE01", 100 + i) for i in range(3)] + [pay.issue("DOF-FEE01", 50)]
    for i, bill in enumerate(bills):
        amount = bill["amount"]
        assert pay.pay(bill["reference"], amount, txn=f"F{i}", paid_at=paid_at).status_code == 201
    session = platform.db.read_session()
    key = fingerprints.key_of(session.connection())
    payments = session.execute(select(Payment)).scalars().all()
    session.close()
    day = paid_at.astimezone(city_zone()).date()
    for payment in payments:
        assert payment.bucket == fingerprints.bucket(key, payment.reference, day)
        assert payment.txn_check == fingerprints.check(
            key, payment.provider_txn_id, payment.amount, day
        )
        assert payment.reference_check == fingerprints.check(
            key, payment.reference, payment.amount, day
        )
    assert _kept(platform) == _recomputed(platform) != {}
    with platform.db.engine.begin() as connection:
        connection.execute(
            update(Payment)
            .where(Payment.provider_txn_id.in_(["F0", "F3"]))
            .values(settlement_id=uuid.uuid4())
        )
    assert _kept(platform) == _recomputed(platform)
    assert sum(v[0] for v in _kept(platform).values()) == 2


def test_a_payments_matched_fields_never_change(pay: Pay, platform: Platform) -> None:
    if platform.db.engine.dialect.name != "sqlite":
        pytest.skip("guarded by a SQLite trigger")
    bill = pay.issue("TWD-FEE01", 100)
    pay.pay(bill["reference"], 100, txn="G1")
    for change in ({"amount": 99}, {"paid_at": datetime.now(UTC) - timedelta(days=3)}):
        with (
            pytest.raises(Exception, match="matched fields never change"),
            platform.db.engine.begin() as connection,
        ):
            connection.execute(
                update(Payment).where(Payment.provider_txn_id == "G1").values(**change)
            )


_STAMP_CHARS = "0123456789-+:.T Z/"


@st.composite
def stamps(draw: st.DrawFn) -> str:
    """isoformat() stamps of any offset or none, some with a character replaced or dropped."""
    # hypothesis takes naive bounds; the zone is drawn below
    moment = draw(st.datetimes(datetime(1975, 1, 1), datetime(9998, 12, 1)))  # noqa: DTZ001
    if draw(st.booleans()):
        moment = moment.replace(microsecond=0)
    offset = draw(st.none() | st.integers(-14 * 60, 14 * 60))
    if offset is not None:
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=offset)))
    text = moment.isoformat()
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text) - 1))
        char = draw(st.sampled_from(_STAMP_CHARS))
        text = draw(
            st.sampled_from([text[:at] + char + text[at + 1 :], text[:at] + text[at + 1 :]])
        )
    return text


@settings(max_examples=300, deadline=None)
@given(st.lists(stamps(), min_size=1, max_size=30))
def test_vectorised_paid_at_agrees_with_the_python_rule(texts: list[str]) -> None:
    from smartcity.modules.payments.reconciliation import settlement_files
    from smartcity.modules.payments.values import SettlementFormat

    header = "provider_txn_id,reference,amount,paid_at\n"
    body = "".join(f"T{i},R,5,{t}\n" for i, t in enumerate(texts))
    expected = [settlement_files._python_paid_at(t.strip()) for t in texts]
    try:
        frame = settlement_files.parse(header + body, SettlementFormat.CSV)
    except InvalidInput as error:
        refused = {line["line"] - 2 for line in error.extra["lines"]}
        assert refused == {i for i, moment in enumerate(expected) if moment is None}
        assert {line["reason"] for line in error.extra["lines"]} == {"paid_at is not ISO 8601"}
        return
    assert frame["paid_at"].to_list() == expected
    assert frame["day"].to_list() == [m.astimezone(city_zone()).date() for m in expected if m]
