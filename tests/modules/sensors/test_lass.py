"""The LASS parser: the documented form, aliases, and fuzzing (it never raises anything else)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity.modules.sensors.lass import (
    LassError,
    format_line,
    parse_airbox_json,
    parse_line,
    parse_lines,
)
from tests.modules.sensors.conftest import lass_line


def test_the_issue_example() -> None:
    reading = parse_line(lass_line())
    assert reading.device_id == "74DA38AF1234"
    assert reading.time == datetime(2024, 11, 2, 0, 15, 3, tzinfo=UTC)
    assert reading.values == {
        "pm25": 17,
        "pm10": 23,
        "pm1": 11,
        "temperature": 24.5,
        "humidity": 68,
    }
    assert (reading.latitude, reading.longitude, reading.app) == (25.033, 121.5654, "AirBox")


def test_aliases_and_unknown_fields() -> None:
    reading = parse_line(
        "|deviceid=ABC|timestamp=2024-11-02T08:00:00+08:00|PM2_5=5|s_t2=20|s_h2=50|"
        "lat=25|lng=121|mystery=1|flag|"
    )
    assert reading.values == {"pm25": 5, "temperature": 20, "humidity": 50}
    assert reading.time == datetime(2024, 11, 2, 0, 0, tzinfo=UTC)
    assert (reading.latitude, reading.longitude) == (25, 121)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "empty message"),
        ("|date=2024-11-02|time=08:00:00|s_d0=1|", "missing device_id"),
        ("|device_id=A|s_d0=1|", "missing date and time"),
        ("|device_id=A|date=2024-11-02|time=25:00:00|s_d0=1|", "not a time of day: '25:00:00'"),
        ("|device_id=A|date=2024-11-02|time=08:00:00|", "no known reading"),
        ("|device_id=A|date=2024-11-02|time=08:00:00|s_d0=nan|", "pm25 is not a finite number"),
        ("|device_id=A|date=2024-11-02|time=08:00:00|s_d0=x|", "pm25 is not a number: 'x'"),
        ("|device_id=A B|date=2024-11-02|time=08:00:00|s_d0=1|", "device_id must be"),
        (
            "|device_id=A|date=2024-11-02|time=08:00:00|s_d0=1|gps_lat=95|gps_lon=1|",
            "gps_lat/gps_lon out of range",
        ),
    ],
)
def test_refusals_say_why(line: str, reason: str) -> None:
    with pytest.raises(LassError) as raised:
        parse_line(line)
    assert str(raised.value).startswith(reason)


def test_airbox_json_wrapped_and_flat() -> None:
    readings, refused = parse_airbox_json(
        {
            "feeds": [
                {"AirBox": {"device_id": "X1", "s_d0": 3, "timestamp": "2024-11-02T00:00:00Z"}},
                {"device_id": "X2", "s_d0": "4", "timestamp": "2024-11-02T00:00:00Z"},
                "nonsense",
            ]
        }
    )
    assert [r.device_id for r in readings] == ["X1", "X2"] and len(refused) == 1
    with pytest.raises(LassError):
        parse_airbox_json([1, 2])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_fuzz_any_text_parses_or_is_refused(text: str) -> None:
    try:
        reading = parse_line(text)
    except LassError:
        return
    assert reading.values and reading.device_id


_keys = st.sampled_from(
    [
        "device_id",
        "date",
        "time",
        "s_d0",
        "s_t0",
        "s_h0",
        "gps_lat",
        "gps_lon",
        "timestamp",
        "app",
        "x",
    ]
)
_values = st.one_of(
    st.text(max_size=30),
    st.floats(allow_nan=True).map(str),
    st.dates().map(str),
    st.times().map(lambda t: t.strftime("%H:%M:%S")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_keys, _values), max_size=12))
def test_fuzz_structured_lines(fields: list[tuple[str, str]]) -> None:
    line = "|" + "|".join(f"{k}={v}" for k, v in fields) + "|"
    try:
        reading = parse_line(line)
    except LassError:
        return
    assert all(v == v for v in reading.values.values())  # never NaN


@given(
    st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 1)),
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1)),  # noqa: DTZ001
)
def test_round_trip(pm25: float, moment: datetime) -> None:
    when = moment.replace(microsecond=0, tzinfo=UTC)
    reading = parse_line(format_line("74DA38000001", when, {"pm25": pm25}, 25.0, 121.5))
    assert reading.values == {"pm25": pm25} and reading.time == when


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda pm, t, lat: format_line(
                    "74DA38000009",
                    t.replace(tzinfo=UTC),
                    {"pm25": pm, "pm10": pm, "pm1": pm, "temperature": pm, "humidity": pm},
                    lat,
                    121.5,
                ),
                st.floats(-1e6, 1e6, allow_nan=False),
                st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2110, 1, 1)),  # noqa: DTZ001
                st.floats(-100, 100, allow_nan=False),
            ),
            st.text(max_size=40),
        ),
        max_size=5,
    )
)
def test_bulk_parsing_agrees_with_line_parsing(batch: list[str]) -> None:
    readings, refused = parse_lines(batch)
    one_by_one: list[object] = []
    reasons: list[str] = []
    for line in batch:
        try:
            if line.strip():
                one_by_one.append(parse_line(line))
        except LassError as exc:
            reasons.append(str(exc))
    assert readings == one_by_one and [reason for _line, reason in refused] == reasons
