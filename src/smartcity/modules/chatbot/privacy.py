"""Personal data that citizens type into the chat, masked before anything stores it.

People write "my ID is A123456789, why was I fined?" or leave a phone number for a call
back. The question is logged, clustered for triage, taught as a variant and audited, and
none of those needs the number: national IDs (and resident certificate numbers), Taiwanese
phone numbers and payment card numbers become asterisks of the same shape, so staff still
see that one was there. A candidate is masked only when it is one for certain — an ID's
check digit, a card's Luhn digit, a phone number's leading 0 or +886 — so dates, amounts
and fee codes stay as they were typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from smartcity.core.errors import InvalidInput
from smartcity.modules.identity.values import normalise_national_id

# \d is any Unicode digit, so full-width digits typed with a Chinese keyboard count too.
_NATIONAL_ID = re.compile(r"(?<!\d)[A-Za-zＡ-Ｚａ-ｚ][1289１２８９]\d{8}(?!\d)")
# 13 to 19 digits, in groups split by spaces or hyphens (ISO/IEC 7812 card numbers).
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
# A Taiwanese number: 0 or +886/00886, an area code or 9 (mobile), then 7 or 8 digits;
# 9 or 10 digits in all, with spaces, hyphens or brackets anywhere in between.
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)886[ -]?\(?0?|\(?0)[2-9](?:[ ()-]{0,2}\d){7,8}(?!\d)")


def mask_personal_data(text: str) -> str:
    """`text` with national IDs, card numbers and phone numbers replaced by asterisks."""
    text = _CARD.sub(_masked_if(_luhn_valid), text)
    text = _PHONE.sub(_masked, text)
    return _NATIONAL_ID.sub(_masked_if(_national_id_valid), text)


def _masked(match: re.Match[str]) -> str:
    # Separators stay, so "0912-345-678" reads as a masked phone number.
    return "".join("*" if ch.isalnum() else ch for ch in match.group())


def _masked_if(valid: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return _masked(match) if valid(match.group()) else match.group()

    return replace


def _digits(text: str) -> list[int]:
    return [int(ch) for ch in text if ch.isdigit()]


def _luhn_valid(candidate: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(_digits(candidate))):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _national_id_valid(candidate: str) -> bool:
    try:
        normalise_national_id(unicodedata.normalize("NFKC", candidate))
    except InvalidInput:
        return False
    return True
