"""Write-off numbers, the store barcode, virtual accounts and TWQR: worked examples and fuzzing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.core.errors import InvalidInput
from smartcity.modules.payments import codes


def test_check_code_worked_example_by_hand() -> None:
    # Segment 1 150630TPE: odd positions 1,0,3,T(3),E(5) = 12; even 5,6,0,P(7) = 18.
    # Segment 2 1151234567890127: odd 1+5+2+4+6+8+0+2 = 28; even 1+1+3+5+7+9+1+7 = 34.
    # Segment 3 1506··000001500: odd 1+0+0+0+0+0+5+0 = 6; even 5+6+0+0+0+1+0 = 12.
    # Odd 46 mod 11 = 2; even 64 mod 11 = 9 → "29".
    assert codes.check_code("150630TPE", "1151234567890127", "1506", "000001500") == "29"
    barcode = codes.make_barcode(date(2026, 6, 30), "TPE", "1151234567890127", 1500)
    assert barcode.segments == ["150630TPE", "1151234567890127", "150629000001500"]


def test_check_code_letter_values_and_the_special_remainders() -> None:
    assert [codes.char_value(c) for c in "AIJRSZ09"] == [1, 9, 1, 9, 2, 9, 0, 9]
    zeros9 = "0" * 9
    # odd sum 0 → A, even sum 0 → X
    assert codes.check_code(zeros9, "0" * 16, "0000", zeros9) == "AX"
    # odd: 9+2 = 11 → 0 → A; even: 1+9 = 10 → Y
    assert codes.check_code("9" + "1" + "2" + "9" + "00000", "0" * 16, "0000", zeros9) == "AY"
    # odd 10 → B, even 0 → X
    assert codes.check_code("100000900", "0" * 16, "0000", zeros9) == "BX"  # odd 1+9 = 10


def test_write_off_number_check_digit_worked_example() -> None:
    # Body 115123456789012, weights 3,7,1 repeating:
    # 1·3+1·7+5·1+1·3+2·7+3·1+4·3+5·7+6·1+7·3+8·7+9·1+0·3+1·7+2·1 = 183 → (10 − 3) = 7.
    assert codes.write_off_check_digit("115123456789012") == "7"
    assert codes.check_write_off_number("1151234567890127") == "1151234567890127"
    with pytest.raises(InvalidInput) as caught:
        codes.check_write_off_number("1151234567890128")
    assert caught.value.code == "invalid_check_digit"


@given(st.from_regex(r"\A[0-9]{15}\Z"), st.integers(0, 14), st.integers(1, 9))
def test_a_single_wrong_digit_is_always_caught(body: str, position: int, delta: int) -> None:
    number = body + codes.write_off_check_digit(body)
    changed = int(number[position]) + delta
    wrong = number[:position] + str(changed % 10) + number[position + 1 :]
    with pytest.raises(InvalidInput):
        codes.check_write_off_number(wrong)


@given(
    st.dates(date(1912, 1, 1), date(2110, 12, 31)),
    st.from_regex(r"\A[0-9A-Z]{3}\Z"),
    st.integers(0, 10**12 - 1),
    st.integers(1, codes.MAX_BARCODE_AMOUNT),
)
def test_barcode_round_trip(due: date, collection: str, serial: int, amount: int) -> None:
    number = codes.make_write_off_number(due, serial)
    barcode = codes.make_barcode(due, collection, number, amount)
    assert [len(s) for s in barcode.segments] == [9, 16, 15]
    century = (codes.roc_year(due) // 100) * 100
    parsed = codes.parse_barcode(*barcode.segments, century=century)
    assert (parsed.due, parsed.amount, parsed.write_off_number) == (due, amount, number)
    # Every segment draws in Code 39: a start and a stop character and five bars per character.
    for segment in barcode.segments:
        drawing = codes.code39_drawing(segment)
        assert drawing.text == segment and len(drawing.bars) == 5 * (len(segment) + 2)


@given(st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_barcode_parser_never_crashes(a: str, b: str, c: str) -> None:
    try:
        codes.parse_barcode(a, b, c)
    except InvalidInput as error:
        assert error.code.startswith("invalid_")


@given(st.text(max_size=40))
def test_reference_parsers_never_crash(text: str) -> None:
    for parse in (codes.check_write_off_number, codes.check_virtual_account):
        try:
            parse(text)
        except InvalidInput as error:
            assert error.code.startswith("invalid_")


def test_a_wrong_check_code_is_refused() -> None:
    barcode = codes.make_barcode(date(2026, 6, 30), "TPE", "1151234567890127", 1500)
    segment3 = barcode.segment3[:4] + "AX" + barcode.segment3[6:]
    with pytest.raises(InvalidInput) as caught:
        codes.parse_barcode(barcode.segment1, barcode.segment2, segment3)
    assert caught.value.code == "invalid_check_code"


def test_virtual_account_and_twqr() -> None:
    account = codes.make_virtual_account("95270", 1234567890)
    assert len(account) == 16 and account.startswith("95270")
    assert codes.check_virtual_account(account) == account
    uri = codes.twqr_uri("臺北市政府", "1151234567890127", 1500, date(2026, 6, 30))
    assert uri.startswith("TWQRP://%E8%87%BA")
    assert uri.endswith("/158/03/V1?D1=150000&D4=20260630&D7=1151234567890127&D10=901")
    # The acquiring bank's fields once configured; names and codes percent-encoded.
    full = codes.twqr_uri(
        "臺北市政府",
        "1151234567890127",
        1500,
        date(2026, 6, 30),
        item_name="水費 & 污水",
        verification_code="AVnV+bcN9x=",
        acquirer="00,0060061112223334440000000112345678",
    )
    query = dict(pair.split("=", 1) for pair in full.split("?", 1)[1].split("&"))
    assert query == {
        "D1": "150000",
        "D3": "AVnV%2BbcN9x%3D",
        "D4": "20260630",
        "D7": "1151234567890127",
        "D8": "%E6%B0%B4%E8%B2%BB%20%26%20%E6%B1%A1%E6%B0%B4",
        "D10": "901",
        "D11": "00,0060061112223334440000000112345678",
    }


def test_code39_patterns_are_well_formed() -> None:
    patterns = set(codes.CODE39.values())
    assert len(patterns) == len(codes.CODE39)
    for pattern in patterns:
        assert len(pattern) == 9 and pattern.count("w") == 3
