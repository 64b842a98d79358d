"""The compiled scan of a CSV settlement file (ADR 11) yields exactly what `parse` yields, or
gives up: generated files mix plain lines with every near-miss of their shape."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity.core.errors import InvalidInput
from smartcity.core.time import city_zone, use_city_zone
from smartcity.modules.payments import fingerprints
from smartcity.modules.payments.reconciliation import settlement_files, settlement_scan
from smartcity.modules.payments.values import SettlementFormat

HEADER = "provider_txn_id,reference,amount,paid_at"
KEY = 0x5EED_1234_ABCD_0042

plain_text = st.from_regex(r"\A[0-9A-Za-z_.:/-]{1,20}\Z")
odd_text = st.sampled_from(
    ["", " A1", "A 1", 'A"1', "Ä1", "A\t1", "x" * 33, "x" * 65, "A1\x1f", "１２"]
)
moments = st.datetimes(datetime(1975, 1, 1), datetime(9999, 12, 31, 23, 59, 59))  # noqa: DTZ001
offsets = st.sampled_from([None, 0, 8 * 60, -5 * 60 - 30, 14 * 60, -14 * 60])


@st.composite
def stamps(draw: st.DrawFn, noisy: bool) -> str:
    moment = draw(moments)
    minutes = draw(offsets)
    if minutes is not None:
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    if draw(st.booleans()):
        moment = moment.replace(microsecond=0)
    text = moment.isoformat()
    if not noisy:
        return text
    far = moment.replace(tzinfo=timezone(timedelta(hours=draw(st.sampled_from([15, -23])))))
    # Near misses of the shape: a broken calendar date, hour 24, a short fraction, a Z...
    return draw(
        st.sampled_from(
            [
                text[:8] + "31" + text[10:],
                text[:8] + "29" + text[10:],
                text[:11] + "24" + text[13:],
                text[:17] + "60" + text[19:],
                text[:19] + ".123" + text[26:] if len(text) >= 26 else text + ".5",
                text + "Z",
                far.isoformat(),
                text.replace("T", " "),
                text.replace("-", "/", 1),
                " " + text,
            ]
        )
    )


amounts = st.integers(1, 10**12 - 1).map(str) | st.sampled_from(
    ["0", "000", "-5", "+5", "12.5", "", "1" * 13, "0012", "1e3"]
)


@st.composite
def lines(draw: st.DrawFn, noisy: bool) -> str:
    """A line as machines write it, or (noisy) one with a near miss somewhere."""
    fields = [draw(plain_text), draw(plain_text), str(draw(st.integers(1, 99999)))]
    fields.append(draw(stamps(noisy=False)))
    if noisy:
        where = draw(st.integers(0, 4))
        if where == 4:
            fields = fields[: draw(st.integers(0, 3))] + draw(st.sampled_from([[], ["x"]]))
        else:
            fields[where] = draw([odd_text, odd_text, amounts, stamps(noisy=True)][where])
    return ",".join(fields)


@st.composite
def files(draw: st.DrawFn) -> bytes:
    body = draw(st.lists(lines(noisy=False) | st.just(""), max_size=12))
    if draw(st.booleans()):
        body.insert(draw(st.integers(0, len(body))), draw(lines(noisy=True)))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join([HEADER, *body])
    if draw(st.booleans()):
        text += end
    bom = "\ufeff" if draw(st.integers(0, 9)) == 0 else ""
    return (bom + text).encode("utf-8")


def _parsed(raw: bytes) -> pl.DataFrame | None:
    try:
        return settlement_files.parse(raw, SettlementFormat.CSV)
    except InvalidInput:
        return None


def _groups(frame: pl.DataFrame) -> np.ndarray:
    hashes = fingerprints.text_hashes(KEY, frame["reference"])
    return (hashes >> np.uint64(64 - fingerprints.BUCKET_BITS)).astype(np.intp)


@settings(max_examples=400, deadline=None)
@given(raw=files(), chosen=st.lists(st.integers(0, fingerprints.BUCKETS - 1), max_size=600))
def test_the_scan_yields_what_parse_yields_or_gives_up(raw: bytes, chosen: list[int]) -> None:
    scanned = settlement_scan.scan(raw, KEY)
    parsed = _parsed(raw)
    if scanned is None:
        return
    assert parsed is not None, "the scan accepted a file parse refuses"
    assert scanned.height == parsed.height
    assert scanned.hashes.tolist() == [
        fingerprints.text_hash(KEY, t) for t in parsed["provider_txn_id"].to_list()
    ]
    epoch_days = parsed["day"].cast(pl.Int32).to_list()
    assert scanned.days.tolist() == epoch_days
    groups = _groups(parsed)
    checks = fingerprints.checks(KEY, scanned.hashes.copy(), parsed["amount"], parsed["day"])
    amounts = parsed["amount"].to_numpy()
    for row, values in enumerate(
        [
            np.ones(len(groups), np.int64),
            amounts,
            (checks >> np.uint64(31)).astype(np.int64),
            (checks & np.uint64(2**31 - 1)).astype(np.int64),
        ]
    ):
        expected = np.zeros(fingerprints.BUCKETS, np.int64)
        np.add.at(expected, groups, values)
        assert scanned.sums[row].tolist() == expected.tolist()
    buckets = np.zeros(fingerprints.BUCKETS, np.bool_)
    buckets[chosen] = True
    assert scanned.frame(buckets).equals(parsed.filter(pl.Series(buckets[groups])))


def test_a_machine_written_file_is_scanned() -> None:
    # The shape the scan is for must not fall back unnoticed (the property test allows it).
    first = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    body = "".join(
        f"711-{n:09d},{1160000000000000 + n},{100 + n},"
        f"{(first + timedelta(milliseconds=80 * n)).isoformat()}\r\n"
        for n in range(500)
    )
    raw = f"{HEADER}\r\n{body}\r\n".encode()
    scanned = settlement_scan.scan(raw, KEY)
    assert scanned is not None
    assert scanned.height == 500
    everything = np.ones(fingerprints.BUCKETS, np.bool_)
    assert scanned.frame(everything).equals(settlement_files.parse(raw, SettlementFormat.CSV))


@pytest.mark.parametrize(
    "line",
    [
        'T1,"R1",100,2026-11-26T10:00:00',  # quoted
        "T1, R1,100,2026-11-26T10:00:00",  # a space to strip
        "T1,R1,100,2026-11-26T10:00:00.123",  # a fraction of three digits
        "T1,R1,100,1979-12-31T23:00:00",  # before the city's offset was fixed
        "T1,R1,100,2026-11-26",  # a date without time
    ],
)
def test_lines_parse_reads_exactly_make_the_scan_give_up(line: str) -> None:
    raw = f"{HEADER}\n{line}\n".encode()
    assert settlement_scan.scan(raw, KEY) is None
    assert _parsed(raw) is not None


def test_numba_loads_only_when_a_file_is_scanned() -> None:
    # Every process imports the payments API; Numba costs a fifth of a second to import.
    code = (
        "import sys, smartcity.modules.payments.api, smartcity.modules.payments.reconciliation; "
        "print('numba' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.fixture
def city_in_new_york() -> Iterator[None]:
    before = city_zone()
    use_city_zone(ZoneInfo("America/New_York"))
    yield
    use_city_zone(before)


@pytest.mark.usefixtures("city_in_new_york")
def test_a_city_with_daylight_saving_reads_stamps_in_its_own_zone() -> None:
    # Summer and winter stamps without offset fall on the city's days at their own offsets.
    raw = (
        f"{HEADER}\nS1,R1,100,2026-07-01T22:30:00\nW1,R2,200,2026-01-01T22:30:00\n"
        "A1,R3,300,2026-07-02T02:30:00+00:00\n"
    ).encode()
    assert settlement_files.zone_minutes() is None
    assert settlement_scan.scan(raw, KEY) is None
    frame = settlement_files.parse(raw, SettlementFormat.CSV)
    assert frame["paid_at"].to_list() == [
        datetime(2026, 7, 2, 2, 30, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 30, tzinfo=UTC),
        datetime(2026, 7, 2, 2, 30, tzinfo=UTC),
    ]
    assert frame["day"].to_list() == [date(2026, 7, 1), date(2026, 1, 1), date(2026, 7, 1)]


def test_a_city_with_a_fixed_offset_is_read_at_that_offset() -> None:
    before = city_zone()
    use_city_zone(ZoneInfo("Asia/Kolkata"))
    try:
        assert settlement_files.zone_minutes() == 330
        raw = f"{HEADER}\nT1,R1,100,2026-11-26T23:45:00\n".encode()
        scanned = settlement_scan.scan(raw, KEY)
        assert scanned is not None
        everything = np.ones(fingerprints.BUCKETS, np.bool_)
        frame = scanned.frame(everything)
        assert frame.equals(settlement_files.parse(raw, SettlementFormat.CSV))
        assert frame["paid_at"].to_list() == [datetime(2026, 11, 26, 18, 15, tzinfo=UTC)]
        assert frame["day"].to_list() == [date(2026, 11, 26)]
    finally:
        use_city_zone(before)
