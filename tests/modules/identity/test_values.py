"""Identifier rules: property tests that the parsers never crash and agree with the generator."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.core.errors import InvalidInput
from smartcity.modules.identity.seed import national_id
from smartcity.modules.identity.values import (
    BindingKind,
    mask_national_id,
    normalise_binding_value,
    normalise_national_id,
)


@given(
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVXYWZIO"),
    st.sampled_from([1, 2]),
    st.integers(0, 9_999_999),
)
def test_generated_ids_validate_and_one_changed_digit_does_not(letter, sex, body) -> None:  # type: ignore[no-untyped-def]
    number = national_id(letter, sex, body)
    assert normalise_national_id(number.lower()) == number
    assert mask_national_id(number) == number[:4] + "****" + number[-2:]
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidInput):
        normalise_national_id(wrong)


@given(st.text(max_size=40))
def test_national_id_parser_never_crashes(text: str) -> None:
    try:
        normalise_national_id(text)
    except InvalidInput as error:
        assert error.code == "invalid_national_id"


@given(st.sampled_from(list(BindingKind)), st.text(max_size=120))
def test_binding_parser_never_crashes(kind: BindingKind, text: str) -> None:
    try:
        value = normalise_binding_value(kind, text)
    except InvalidInput as error:
        assert error.code == f"invalid_{kind.value}"
    else:
        assert value == normalise_binding_value(kind, value)
        assert " " not in value
