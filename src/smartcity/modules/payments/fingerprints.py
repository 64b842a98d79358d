"""Fingerprints that let reconciliation skip the payments a settlement file agrees with (ADR 9).

Every payment carries a bucket — its local day and 10 bits of a hash of its write-off
number — and two 62-bit checks, one of (provider_txn_id, amount, day) for CSV files and one
of (write-off number, amount, day) for store files. On SQLite, triggers keep per-bucket sums
of them (`payments_bucket_sums`); a settlement file's lines get the same numbers here,
vectorised. A bucket whose count, amount and check sums agree with the file's lines is
matched line for line without reading a payment.

The hash is keyed (a random key per database, `core_meta`) and non-linear: sums of a linear
or public hash can be made to agree by swapping characters or amounts between lines, or by
choosing transaction ids. The scalar functions here are the definition; the NumPy ones must
return exactly the same numbers (tests/modules/payments/test_fingerprints.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine, select

from smartcity.core.meta import Meta
from smartcity.core.time import as_utc, city_zone

KEY_NAME = "payments.fingerprint_key"
"""The core_meta row holding this database's key (written by migration payments_0005)."""
BUCKET_BITS = 10
BUCKETS = 1 << BUCKET_BITS
"""Buckets per day: a discrepancy costs reading about 1/1024 of a day's payments."""

_MASK = (1 << 64) - 1
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_GAMMA = 0x9E3779B97F4A7C15
_HALF = (1 << 31) - 1

_keys: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def key_of(connection: Connection) -> int:
    """This database's fingerprint key (read once per engine)."""
    key = _keys.get(connection.engine)
    if key is None:
        value = connection.execute(select(Meta.value).where(Meta.key == KEY_NAME)).scalar_one()
        key = _keys[connection.engine] = int(value)
    return key


# -- the definition, one value at a time ---------------------------------------------------


def _mix(z: int) -> int:
    """splitmix64's finaliser: a bijection of 64-bit words in which every bit affects all."""
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _words(data: bytes) -> list[int]:
    """Little-endian 8-byte words; the last one ends at the last byte (overlapping the one
    before it), a text shorter than 8 bytes is one zero-padded word."""
    if len(data) < 8:
        return [int.from_bytes(data, "little")] if data else []
    starts = [*range(0, len(data) - 8, 8), len(data) - 8]
    return [int.from_bytes(data[s : s + 8], "little") for s in starts]


def text_hash(key: int, text: str) -> int:
    """A keyed 64-bit hash of a text (its UTF-8 bytes and their number)."""
    data = text.encode("utf-8", "surrogatepass")
    h = _mix(key ^ (len(data) * _GAMMA & _MASK))
    for word in _words(data):
        h = ((h ^ word) * _M1) & _MASK
        h ^= h >> 29
    return _mix(h)


def bucket(key: int, reference: str, day: date) -> int:
    """The day's ordinal × 1024 + 10 bits of the write-off number's hash."""
    return day.toordinal() * BUCKETS + (text_hash(key, reference) >> (64 - BUCKET_BITS))


def check(key: int, match: str, amount: int, day: date) -> int:
    """62 bits standing for (what a line is matched on, amount, day)."""
    inner = _mix((text_hash(key, match) + amount * _GAMMA) & _MASK)
    return _mix(inner ^ day.toordinal()) >> 2


def halves(value: int) -> tuple[int, int]:
    """A check as two 31-bit halves: sums of a million of them stay exact in 64 bits."""
    return value >> 31, value & _HALF


def of_payment(connection: Connection, row: Mapping[str, Any]) -> tuple[int, int, int]:
    """(bucket, txn_check, reference_check) of a payment row about to be inserted."""
    key = key_of(connection)
    day = as_utc(row["paid_at"]).astimezone(city_zone()).date()
    reference = row.get("reference") or ""
    return (
        bucket(key, reference, day),
        check(key, row["provider_txn_id"], row["amount"], day),
        check(key, reference, row["amount"], day),
    )


def _of_row(context: Any) -> tuple[int, int, int]:
    """`of_payment` of the row being inserted, computed once for the three column defaults."""
    row = context.get_current_parameters()
    cached = getattr(context, "_payment_fingerprints", None)
    if cached is not None and cached[0] is row:
        return cast(tuple[int, int, int], cached[1])
    values = of_payment(context.connection, row)
    context._payment_fingerprints = (row, values)
    return values


def payment_bucket(context: Any) -> int:
    """The column default of Payment.bucket: every insert path gets it."""
    return _of_row(context)[0]


def payment_txn_check(context: Any) -> int:
    """The column default of Payment.txn_check."""
    return _of_row(context)[1]


def payment_reference_check(context: Any) -> int:
    """The column default of Payment.reference_check."""
    return _of_row(context)[2]


# -- the same numbers for a million lines at once ------------------------------------------

_U64 = NDArray[np.uint64]


def _mix_array(z: _U64) -> _U64:
    """`_mix` in place."""
    t = z >> np.uint64(30)
    z ^= t
    z *= np.uint64(_M1)
    np.right_shift(z, np.uint64(27), out=t)
    z ^= t
    z *= np.uint64(_M2)
    np.right_shift(z, np.uint64(31), out=t)
    z ^= t
    return z


def text_hashes(key: int, texts: pl.Series) -> _U64:
    """`text_hash` of every text of a String series (no nulls)."""
    lengths = texts.str.len_bytes()
    out = np.empty(len(texts), np.uint64)
    distinct = lengths.unique().to_list()
    for length in distinct:
        # Texts of one length are one byte matrix (a machine-written file has one or two).
        chosen = (lengths == length).arg_true().to_numpy() if len(distinct) > 1 else None
        group = texts if chosen is None else texts.gather(chosen)
        seed = _mix(key ^ (length * _GAMMA & _MASK))
        h = np.full(len(group), seed, np.uint64)
        if length:
            raw = np.ascontiguousarray(
                group.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, length)).to_numpy(),
                np.uint8,
            )
            for word in _word_columns(raw, length):
                h ^= word
                h *= np.uint64(_M1)
                h ^= h >> np.uint64(29)
        if chosen is None:
            return _mix_array(h)
        out[chosen] = _mix_array(h)
    return out


def _word_columns(raw: NDArray[np.uint8], length: int) -> list[_U64]:
    """`_words` of every row of an (n, length) byte matrix, as n-vectors."""
    if length < 8:
        padded = np.zeros((len(raw), 8), np.uint8)
        padded[:, :length] = raw
        return [padded.view("<u8")[:, 0]]
    starts = [*range(0, length - 8, 8), length - 8]
    # Unaligned strided views of the matrix: no copy.
    return [np.ndarray((len(raw),), "<u8", raw, start, (length,)) for start in starts]


def buckets(key: int, references: pl.Series, days: pl.Series) -> _U64:
    """`bucket` of every (reference, day)."""
    ordinals = days.to_physical().to_numpy().astype(np.int64) + _EPOCH_ORDINAL
    tops = text_hashes(key, references) >> np.uint64(64 - BUCKET_BITS)
    return (ordinals * BUCKETS + tops.astype(np.int64)).astype(np.uint64)


def checks(key: int, hashes: _U64, amounts: pl.Series, days: pl.Series) -> _U64:
    """`check` of every line, from `text_hashes` of what it is matched on."""
    inner = amounts.to_numpy().astype(np.uint64)
    inner *= np.uint64(_GAMMA)
    inner += hashes
    _mix_array(inner)
    inner ^= (days.to_physical().to_numpy().astype(np.int64) + _EPOCH_ORDINAL).astype(np.uint64)
    return _mix_array(inner) >> np.uint64(2)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
