"""Numbers printed on a bill: write-off number, store barcode, virtual account, TWQR.

Every function here is pure (no database), so each is fuzzed on its own.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import segno

from smartcity.core.errors import InvalidInput
from smartcity.modules.payments import errors

MAX_BARCODE_AMOUNT = 999_999_999
"""Segment 3 has nine digits for the amount."""

_DIGITS = re.compile(r"^[0-9]+$")

# -- check digits ---------------------------------------------------------------

# Weights co-prime with 10 catch every single-digit error; a repeating 3-7-1 cycle
# (the one Taiwanese banks use on account numbers) also catches most transpositions.
_WRITE_OFF_WEIGHTS = (3, 7, 1)
_ACCOUNT_WEIGHTS = (7, 3, 1)


def _weighted_check(body: str, weights: tuple[int, ...]) -> str:
    total = sum(int(c) * weights[i % len(weights)] for i, c in enumerate(body))
    return str((10 - total % 10) % 10)


def write_off_check_digit(body: str) -> str:
    """The check digit of a 15-digit write-off body."""
    if len(body) != 15 or not _DIGITS.match(body):
        raise errors.InvalidWriteOffNumber("a write-off body is 15 digits")
    return _weighted_check(body, _WRITE_OFF_WEIGHTS)


def make_write_off_number(due: date, serial: int | None = None) -> str:
    """A 16-digit write-off number (銷帳編號): ROC year, 12-digit serial, check digit."""
    number = secrets.randbelow(10**12) if serial is None else serial
    body = f"{roc_year(due) % 1000:03d}{number:012d}"
    return body + write_off_check_digit(body)


def check_write_off_number(text: str) -> str:
    """`text` if it is a well-formed write-off number with the right check digit."""
    candidate = text.strip()
    if len(candidate) != 16 or not _DIGITS.match(candidate):
        raise errors.InvalidWriteOffNumber("a write-off number is 16 digits", reference=text[:40])
    if write_off_check_digit(candidate[:15]) != candidate[15]:
        raise errors.InvalidCheckDigit("the write-off number's check digit is wrong")
    return candidate


def parse_reference(reference: str) -> tuple[str, str]:
    """Which bill column a reference names, and its checked value: a write-off number
    (= barcode segment 2) or a virtual account."""
    text = reference.strip()
    if len(text) == 16 and text.isdigit() and text[:1] == "9":
        try:
            return "virtual_account", check_virtual_account(text)
        except InvalidInput:
            pass
    return "write_off_number", check_write_off_number(text)


def make_virtual_account(prefix: str, serial: int | None = None) -> str:
    """A 16-digit bank virtual account: the city's 5-digit prefix, 10 digits, check digit."""
    if len(prefix) != 5 or not _DIGITS.match(prefix):
        raise errors.InvalidPrefix("the virtual-account prefix is 5 digits")
    number = secrets.randbelow(10**10) if serial is None else serial
    body = f"{prefix}{number:010d}"
    return body + _weighted_check(body, _ACCOUNT_WEIGHTS)


def check_virtual_account(text: str) -> str:
    """`text` if it is a 16-digit virtual account with the right check digit."""
    candidate = text.strip()
    if len(candidate) != 16 or not _DIGITS.match(candidate):
        raise errors.InvalidVirtualAccount("a virtual account is 16 digits")
    if _weighted_check(candidate[:15], _ACCOUNT_WEIGHTS) != candidate[15]:
        raise errors.InvalidCheckDigit("the virtual account's check digit is wrong")
    return candidate


# -- the convenience-store three-segment barcode ------------------------------------


def roc_year(day: date) -> int:
    """The Republic of China calendar year (民國): Gregorian year − 1911."""
    return day.year - 1911


def char_value(char: str) -> int:
    """A barcode character's value in the collection industry's check code.

    Digits count as themselves; A–I → 1–9, J–R → 1–9, S–Z → 2–9.
    """
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if "A" <= char <= "I":
        return ord(char) - ord("A") + 1
    if "J" <= char <= "R":
        return ord(char) - ord("J") + 1
    if "S" <= char <= "Z":
        return ord(char) - ord("S") + 2
    raise errors.InvalidBarcode(f"{char!r} cannot appear in a bill barcode")


def check_code(segment1: str, segment2: str, yymm: str, amount9: str) -> str:
    """The two check characters of segment 3.

    Positions count from 1 within each segment; segment 3 is taken with its two check
    characters as placeholders (positions 5 and 6, one odd and one even, so removing them
    keeps every later position's parity). The odd-position sum mod 11 gives the first
    character (0 → A, 10 → B), the even-position sum mod 11 the second (0 → X, 10 → Y).
    """
    odd = even = 0
    for segment in (segment1, segment2, yymm + "00" + amount9):
        for position, char in enumerate(segment, start=1):
            if position % 2:
                odd += char_value(char)
            else:
                even += char_value(char)
    odd_mod, even_mod = odd % 11, even % 11
    first = "A" if odd_mod == 0 else "B" if odd_mod == 10 else str(odd_mod)
    second = "X" if even_mod == 0 else "Y" if even_mod == 10 else str(even_mod)
    return first + second


@dataclass(frozen=True)
class Barcode:
    """The three segments, and what they say."""

    segment1: str
    segment2: str
    segment3: str
    due: date
    collection_code: str
    write_off_number: str
    amount: int

    @property
    def segments(self) -> list[str]:
        """[segment 1, segment 2, segment 3] as printed."""
        return [self.segment1, self.segment2, self.segment3]


_COLLECTION_CODE = re.compile(r"^[0-9A-Z]{3}$")


def make_barcode(due: date, collection_code: str, write_off_number: str, amount: int) -> Barcode:
    """The store barcode of a bill (Code 39, three segments)."""
    if not _COLLECTION_CODE.match(collection_code):
        raise errors.InvalidBarcode("a collection code is 3 letters or digits")
    if not 0 < amount <= MAX_BARCODE_AMOUNT:
        raise errors.InvalidAmount(f"a store barcode holds amounts from 1 to {MAX_BARCODE_AMOUNT}")
    year = roc_year(due)
    if not year >= 1:
        raise errors.InvalidDueDate("due dates start in ROC year 1 (1912)")
    segment1 = f"{year % 100:02d}{due.month:02d}{due.day:02d}{collection_code}"
    segment2 = check_write_off_number(write_off_number)
    yymm = f"{year % 100:02d}{due.month:02d}"
    amount9 = f"{amount:09d}"
    segment3 = yymm + check_code(segment1, segment2, yymm, amount9) + amount9
    return Barcode(segment1, segment2, segment3, due, collection_code, segment2, amount)


def parse_barcode(segment1: str, segment2: str, segment3: str, *, century: int = 100) -> Barcode:
    """Read and check a scanned three-segment barcode; `century` is the ROC century (100)."""
    if len(segment1) != 9 or not _DIGITS.match(segment1[:6]):
        raise errors.InvalidBarcode("segment 1 is YYMMDD and a 3-character code")
    if not _COLLECTION_CODE.match(segment1[6:]):
        raise errors.InvalidBarcode("segment 1 ends with a 3-character code")
    if len(segment3) != 15 or not _DIGITS.match(segment3[:4] + segment3[6:]):
        raise errors.InvalidBarcode("segment 3 is YYMM, 2 check characters and 9 digits")
    written_off = check_write_off_number(segment2)
    try:
        due = date(century + int(segment1[:2]) + 1911, int(segment1[2:4]), int(segment1[4:6]))
    except ValueError:
        raise errors.InvalidBarcode("segment 1 holds no valid date") from None
    expected = check_code(segment1, written_off, segment3[:4], segment3[6:])
    if segment3[4:6] != expected:
        raise errors.InvalidCheckCode("the barcode's check code is wrong")
    amount = int(segment3[6:])
    if amount <= 0:
        raise errors.InvalidAmount("the barcode's amount is zero")
    return Barcode(segment1, written_off, segment3, due, segment1[6:], written_off, amount)


# -- TWQR ------------------------------------------------------------------------------


def twqr_uri(
    payee: str,
    write_off_number: str,
    amount: int,
    due: date,
    *,
    item_name: str = "",
    verification_code: str = "",
    acquirer: str = "",
) -> str:
    """A TWQR bill-payment URI (TWQRP, country 158, transaction type 03 = bill payment, V1).

    The bill-payment fields: D1 the amount in hundredths, D3 the verification code and D11
    the acquirer's field (both issued by the acquiring bank; left out until configured), D4
    the due date YYYYMMDD, D7 the write-off number, D8 the fee's name, D10 the currency
    (901 = TWD). Values are percent-encoded, as the payee is.
    """
    fields = [("D1", str(amount * 100)), ("D3", verification_code), ("D4", f"{due:%Y%m%d}")]
    fields += [("D7", write_off_number), ("D8", item_name), ("D10", "901"), ("D11", acquirer)]
    query = "&".join(f"{name}={quote(value, safe=',')}" for name, value in fields if value)
    return f"TWQRP://{quote(payee, safe='')}/158/03/V1?{query}"


@dataclass(frozen=True)
class QrDrawing:
    """A QR code as one SVG path over a square of `size` modules (quiet zone included)."""

    size: int
    path: str


def twqr_drawing(uri: str) -> QrDrawing:
    """The TWQR URI as a scannable QR code (error correction level M); payments/twqr.svg draws it.

    Each run of dark modules in a row becomes one rectangle of the path, so the drawing holds
    numbers only, whatever the URI says.
    """
    code = segno.make(uri, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=4))
    runs = []
    for y, row in enumerate(rows):
        x = 0
        for dark, group in itertools.groupby(row):
            length = len(list(group))
            if dark:
                runs.append(f"M{x} {y}h{length}v1h-{length}z")
            x += length
    return QrDrawing(len(rows), "".join(runs))


# -- Code 39, drawn as SVG ---------------------------------------------------------------

# Each character: 9 elements (bar, space, bar, …), n = narrow, w = wide.
CODE39 = {
    "0": "nnnwwnwnn", "1": "wnnwnnnnw", "2": "nnwwnnnnw", "3": "wnwwnnnnn",
    "4": "nnnwwnnnw", "5": "wnnwwnnnn", "6": "nnwwwnnnn", "7": "nnnwnnwnw",
    "8": "wnnwnnwnn", "9": "nnwwnnwnn", "A": "wnnnnwnnw", "B": "nnwnnwnnw",
    "C": "wnwnnwnnn", "D": "nnnnwwnnw", "E": "wnnnwwnnn", "F": "nnwnwwnnn",
    "G": "nnnnnwwnw", "H": "wnnnnwwnn", "I": "nnwnnwwnn", "J": "nnnnwwwnn",
    "K": "wnnnnnnww", "L": "nnwnnnnww", "M": "wnwnnnnwn", "N": "nnnnwnnww",
    "O": "wnnnwnnwn", "P": "nnwnwnnwn", "Q": "nnnnnnwww", "R": "wnnnnnwwn",
    "S": "nnwnnnwwn", "T": "nnnnwnwwn", "U": "wwnnnnnnw", "V": "nwwnnnnnw",
    "W": "wwwnnnnnn", "X": "nwnnwnnnw", "Y": "wwnnwnnnn", "Z": "nwwnwnnnn",
    "-": "nwnnnnwnw", ".": "wwnnnnwnn", " ": "nwwnnnwnn", "*": "nwnnwnwnn",
}  # fmt: skip


def code39_modules(text: str, narrow: int = 1, wide: int = 3) -> list[tuple[bool, int]]:
    """(is_bar, width) runs of `*text*` in Code 39, with a narrow gap between characters."""
    runs: list[tuple[bool, int]] = []
    for index, char in enumerate(f"*{text}*"):
        pattern = CODE39.get(char)
        if pattern is None:
            raise errors.InvalidBarcode(f"{char!r} has no Code 39 pattern")
        if index:
            runs.append((False, narrow))
        for position, element in enumerate(pattern):
            runs.append((position % 2 == 0, wide if element == "w" else narrow))
    return runs


@dataclass(frozen=True)
class Code39Drawing:
    """`text` in Code 39 as bars (x, width) on a `width` × `height` field."""

    text: str
    width: int
    height: int
    bars: list[tuple[int, int]]


def code39_drawing(text: str, height: int = 48) -> Code39Drawing:
    """The bars of `text` in Code 39 with a quiet zone; payments/code39.svg draws them."""
    x = 10
    bars = []
    for is_bar, width in code39_modules(text):
        if is_bar:
            bars.append((x, width))
        x += width
    return Code39Drawing(text, x + 10, height, bars)
