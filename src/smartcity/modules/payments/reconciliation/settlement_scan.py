"""One compiled pass over a machine-written CSV settlement file (ADR 11).

When the bucket sums can vouch for a file (ADR 9), reconciliation needs of each line only its
fingerprints, amount and local day; the line's texts are needed only where a bucket
disagrees. This pass reads the bytes once, checks every line and computes those numbers
with Numba-compiled code, instead of parsing the file into columns first.

It accepts only the plain shape machines write: the exact header, four fields of printable
ASCII without quotes or spaces, a whole positive amount of at most 12 digits, and paid_at as
`datetime.isoformat()` writes it (seconds, optionally six fraction digits, optionally an
offset of at most 14 hours) from 1980 to 9998; lines end with LF or CRLF. Anything else —
a quote, a space, a short line, another stamp shape — makes it give up, and the file goes
through `settlement_files.parse`, whose rules are the definition: for every file this pass
accepts, it yields exactly what `parse` yields (tests/modules/payments/test_settlement_scan.py).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import polars as pl
from numpy.typing import NDArray

from smartcity.modules.payments import fingerprints
from smartcity.modules.payments.reconciliation.settlement_files import (
    COLUMNS,
    MAX_LINES,
    FileBytes,
    bom_length,
    zone_minutes,
)

HEADER = b"provider_txn_id,reference,amount,paid_at"

_M1 = np.uint64(fingerprints._M1)
_M2 = np.uint64(fingerprints._M2)
_GAMMA = np.uint64(fingerprints._GAMMA)
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
_SHORTEST_LINE = 26  # "t,r,1,YYYY-MM-DDTHH:MM:SS\n": bounds the number of lines
ROW = ("line_no", "start", "txn_end", "ref_end", "amount", "micros", "day")


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _word(data: NDArray[np.uint8], start: int, length: int) -> np.uint64:
    word = np.uint64(0)
    for i in range(length):
        word |= np.uint64(data[start + i]) << np.uint64(8 * i)
    return word


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _text_hash(data: NDArray[np.uint8], start: int, end: int, key: np.uint64) -> np.uint64:
    """`fingerprints.text_hash` of the ASCII bytes data[start:end]."""
    length = end - start
    h = _mix(key ^ (np.uint64(length) * _GAMMA))
    if length == 0:
        return _mix(h)
    if length < 8:
        h = (h ^ _word(data, start, length)) * _M1
        return _mix(h ^ (h >> np.uint64(29)))
    at = start
    while at < end - 8:
        h = (h ^ _word(data, at, 8)) * _M1
        h ^= h >> np.uint64(29)
        at += 8
    h = (h ^ _word(data, end - 8, 8)) * _M1
    h ^= h >> np.uint64(29)
    return _mix(h)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _digits(data: NDArray[np.uint8], start: int, count: int) -> int:
    """The number written by `count` ASCII digits, or -1."""
    value = 0
    for i in range(count):
        digit = int(data[start + i]) - 48
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _epoch_day(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil)."""
    if month <= 2:
        year -= 1
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _stamp(data: NDArray[np.uint8], start: int, end: int, local_minutes: int) -> int:
    """Microseconds since the epoch (UTC) of an isoformat() stamp, or -1 when not sure; a stamp
    without offset is `local_minutes` ahead of UTC."""
    length = end - start
    if length != 19 and length != 25 and length != 26 and length != 32:
        return -1
    seps = ((4, 45), (7, 45), (10, 84), (13, 58), (16, 58))  # - - T : :
    for position, byte in seps:
        if data[start + position] != byte:
            return -1
    year = _digits(data, start, 4)
    month = _digits(data, start + 5, 2)
    day = _digits(data, start + 8, 2)
    hour = _digits(data, start + 11, 2)
    minute = _digits(data, start + 14, 2)
    second = _digits(data, start + 17, 2)
    if year < 1980 or year > 9998 or month < 1 or month > 12 or day < 1:
        return -1
    if hour < 0 or hour > 23 or minute < 0 or minute > 59 or second < 0 or second > 59:
        return -1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days_in_month = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if day > days_in_month[month - 1]:
        return -1
    fraction = 0
    at = start + 19
    if length == 26 or length == 32:
        if data[at] != 46:  # .
            return -1
        fraction = _digits(data, at + 1, 6)
        if fraction < 0:
            return -1
        at += 7
    offset = local_minutes
    if length == 25 or length == 32:
        sign = data[at]
        hours = _digits(data, at + 1, 2)
        minutes = _digits(data, at + 4, 2)
        if (sign != 43 and sign != 45) or data[at + 3] != 58:  # + - :
            return -1
        if hours < 0 or hours > 14 or minutes < 0 or minutes > 59:
            return -1
        offset = (hours * 60 + minutes) * (-1 if sign == 45 else 1)
    seconds = _epoch_day(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return (seconds - offset * 60) * 1_000_000 + fraction


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _field(data: NDArray[np.uint8], at: int, longest: int) -> int:
    """The end of a text field of 1..longest printable ASCII bytes ending at a comma, or -1."""
    end = at
    size = len(data)
    while end < size and data[end] != 44:
        byte = data[end]
        if byte < 33 or byte > 126 or byte == 34:  # space, control, non-ASCII, quote
            return -1
        end += 1
    if end == size or end - at > longest:
        return -1
    return end if end > at else -1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _scan(
    data: NDArray[np.uint8],
    at: int,
    end: int,
    key: np.uint64,
    top: np.uint64,
    sums: NDArray[np.int64],
    hashes: NDArray[np.uint64],
    days: NDArray[np.int32],
    local_minutes: int,
    wanted: NDArray[np.bool_],
    rows: NDArray[np.int64],
) -> int:
    """Scan the lines of data[at:end] (which starts a line): the number of lines, or -1.

    A line's bucket is its write-off number's hash shifted right by `top`. Adds each line's
    count, amount and check halves to `sums` (4 × buckets), writes its
    provider_txn_id hash and local day (days since 1970) to `hashes` and `days`, and, for
    lines of a `wanted` bucket, a row of `ROW` to `rows` (column by column)."""
    line = 1
    count = 0
    picked = 0
    while at < end:
        line += 1
        if data[at] == 10:  # a blank line
            at += 1
            continue
        if data[at] == 13 and at + 1 < end and data[at + 1] == 10:
            at += 2
            continue
        txn_end = _field(data, at, 64)
        if txn_end < 0:
            return -1
        ref_end = _field(data, txn_end + 1, 32)
        if ref_end < 0:
            return -1
        amount_end = ref_end + 1
        while amount_end < end and data[amount_end] != 44:
            amount_end += 1
        digits = amount_end - ref_end - 1
        if amount_end == end or digits < 1 or digits > 12:
            return -1
        amount = _digits(data, ref_end + 1, digits)
        if amount <= 0:
            return -1
        paid_end = amount_end + 1
        while paid_end < end and data[paid_end] != 10 and data[paid_end] != 13:
            paid_end += 1
        micros = _stamp(data, amount_end + 1, paid_end, local_minutes)
        if micros < 0:
            return -1
        if paid_end < end and data[paid_end] == 13:  # CRLF
            paid_end += 1
            if paid_end == end or data[paid_end] != 10:
                return -1
        day = (micros + local_minutes * 60_000_000) // 86_400_000_000
        txn_hash = _text_hash(data, at, txn_end, key)
        group = _text_hash(data, txn_end + 1, ref_end, key) >> top
        inner = _mix(txn_hash + np.uint64(amount) * _GAMMA)
        check = _mix(inner ^ np.uint64(day + _EPOCH_ORDINAL)) >> np.uint64(2)
        sums[0, group] += 1
        sums[1, group] += amount
        sums[2, group] += np.int64(check >> np.uint64(31))
        sums[3, group] += np.int64(check & np.uint64(0x7FFFFFFF))
        hashes[count] = txn_hash
        days[count] = day
        if wanted[group]:
            rows[0, picked] = line
            rows[1, picked] = at
            rows[2, picked] = txn_end
            rows[3, picked] = ref_end
            rows[4, picked] = amount
            rows[5, picked] = micros
            rows[6, picked] = day
            picked += 1
        count += 1
        at = paid_end + 1
    return count


_compiled_scan: Callable[..., int] = _scan  # Numba's dispatcher, as the scan it runs
_THREADS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Scan:
    """What the compiled pass found in a file."""

    raw: FileBytes
    start: int
    """The first byte after the header."""
    key: int
    sums: NDArray[np.int64]
    """Per bucket (10 bits of the write-off number's hash): lines, amount, and the halves of
    their `fingerprints.check` of (provider_txn_id, amount, day) — 4 × BUCKETS."""
    hashes: NDArray[np.uint64]
    """`fingerprints.text_hash` of each line's provider_txn_id."""
    days: NDArray[np.int32]
    """Each line's local day, as days since 1970-01-01."""
    local_minutes: int
    """The city's fixed offset from UTC the stamps without offset were read in."""

    @property
    def height(self) -> int:
        return len(self.hashes)

    def frame(self, buckets: NDArray[np.bool_]) -> pl.DataFrame:
        """The lines of these buckets as `settlement_files.parse` gives them (scanned again)."""
        rows = np.empty((len(ROW), int(self.sums[0][buckets].sum())), np.int64)
        if rows.size:
            _compiled_scan(
                *_buffers(self.raw, self.start, len(self.raw), self.key, self.local_minutes),
                buckets,
                rows,
            )
        column = dict(zip(ROW, rows, strict=True))
        raw = self.raw
        return pl.DataFrame(
            {
                "line_no": column["line_no"],
                "provider_txn_id": [
                    raw[a:b].decode("ascii")
                    for a, b in zip(
                        column["start"].tolist(), column["txn_end"].tolist(), strict=True
                    )
                ],
                "reference": [
                    raw[a + 1 : b].decode("ascii")
                    for a, b in zip(
                        column["txn_end"].tolist(), column["ref_end"].tolist(), strict=True
                    )
                ],
                "amount": column["amount"],
                "paid_at": column["micros"],
                "day": column["day"].astype(np.int32),
            },
            schema={**COLUMNS, "paid_at": pl.Int64, "day": pl.Int32},
        ).with_columns(pl.col("paid_at").cast(COLUMNS["paid_at"]), pl.col("day").cast(pl.Date))


def scan(raw: FileBytes, key: int) -> Scan | None:
    """The numbers of a CSV file's lines, or None when one is not of the plain shape."""
    local_minutes = zone_minutes()
    if local_minutes is None:  # a zone with daylight saving: only the exact rules know its days
        return None
    start = bom_length(raw)
    head = raw[start : start + len(HEADER) + 2]
    if head.startswith(HEADER + b"\n"):
        start += len(HEADER) + 1
    elif head.startswith(HEADER + b"\r\n"):
        start += len(HEADER) + 2
    else:
        return None
    # One piece per core (the compiled code releases the GIL), each starting a line.
    cuts = [start]
    for piece in range(1, _THREADS):
        cut = raw.find(b"\n", max(cuts[-1], len(raw) * piece // _THREADS)) + 1
        if 0 < cut < len(raw):
            cuts.append(cut)
    cuts.append(len(raw))
    pieces = [_buffers(raw, a, b, key, local_minutes) for a, b in itertools.pairwise(cuts)]
    nothing = np.zeros(fingerprints.BUCKETS, np.bool_)
    no_rows = np.empty((len(ROW), 0), np.int64)
    with ThreadPoolExecutor(len(pieces)) as pool:
        counts = list(pool.map(lambda buffers: _compiled_scan(*buffers, nothing, no_rows), pieces))
    if min(counts) < 0 or sum(counts) > MAX_LINES:
        return None
    return Scan(
        raw,
        start,
        key,
        np.sum([p[5] for p in pieces], axis=0),
        np.concatenate([p[6][:n] for p, n in zip(pieces, counts, strict=True)]),
        np.concatenate([p[7][:n] for p, n in zip(pieces, counts, strict=True)]),
        local_minutes,
    )


def _buffers(raw: FileBytes, start: int, end: int, key: int, local_minutes: int) -> tuple[Any, ...]:
    """The arguments of `_scan` for data[start:end], with fresh output buffers."""
    capacity = (end - start) // _SHORTEST_LINE + 1
    return (
        np.frombuffer(raw, np.uint8),
        start,
        end,
        np.uint64(key),
        np.uint64(64 - fingerprints.BUCKET_BITS),
        np.zeros((4, fingerprints.BUCKETS), np.int64),
        np.empty(capacity, np.uint64),
        np.empty(capacity, np.int32),
        local_minutes,
    )
