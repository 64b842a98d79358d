"""Fees by tariff: windows, free minutes, caps and the city's midnight."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from smartcity.core.time import city_zone
from smartcity.modules.parking.schemas import TariffIn
from smartcity.modules.parking.tariffs import fee_of

DAY_TIME = {
    "windows": [
        {"days": "weekday", "start": "08:00", "end": "20:00", "per_hour": 40},
        {"days": "weekend", "start": "10:00", "end": "18:00", "per_half_hour": 15},
    ],
    "free_minutes": 10,
    "daily_cap": 300,
}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the city's zone in the week of Monday 2026-12-07 (day 0)."""
    return datetime(2026, 12, 7 + day, hour, minute, tzinfo=city_zone())


def test_per_hour_rounds_up_to_whole_hours() -> None:
    assert fee_of({"per_hour": 40}, local(0, 9), local(0, 10)) == 40
    assert fee_of({"per_hour": 40}, local(0, 9), local(0, 10, 1)) == 80


def test_free_minutes_cover_short_stays_only() -> None:
    assert fee_of(DAY_TIME, local(0, 9), local(0, 9, 10)) == 0
    assert fee_of(DAY_TIME, local(0, 9), local(0, 9, 11)) == 40


def test_only_charging_hours_are_charged() -> None:
    # 18:30 to 21:00 on a weekday: 18:30-20:00 charged, 1.5 h → 2 hours.
    assert fee_of(DAY_TIME, local(0, 18, 30), local(0, 21)) == 80
    assert fee_of(DAY_TIME, local(0, 20, 30), local(0, 23)) == 0


def test_weekend_rate_and_unit() -> None:
    # Saturday 09:00-11:10: 10:00-11:10 charged in half hours of NT$15 → 3 units.
    assert fee_of(DAY_TIME, local(5, 9), local(5, 11, 10)) == 45


def test_daily_cap_applies_per_day_and_midnight_splits_days() -> None:
    # Monday 08:00 to Tuesday 20:00: two full charging days, each 12 h × 40 capped at 300.
    assert fee_of(DAY_TIME, local(0, 8), local(1, 20)) == 600
    # Across midnight with all-day charging: 23:30-00:30 is two half-hours on two days.
    assert fee_of({"per_hour": 40}, local(0, 23, 30), local(1, 0, 30)) == 80


def test_rates_are_validated() -> None:
    with pytest.raises(ValidationError):
        TariffIn.model_validate({"free_minutes": 5})
    with pytest.raises(ValidationError):
        TariffIn.model_validate({"per_hour": 40, "per_half_hour": 20})
    with pytest.raises(ValidationError):
        TariffIn.model_validate(
            {"windows": [{"start": "08:00", "end": "12:00", "per_hour": 1},
                         {"start": "11:00", "end": "13:00", "per_hour": 1}]}
        )  # fmt: skip
    with pytest.raises(ValidationError):
        TariffIn.model_validate({"windows": [{"start": "12:00", "end": "08:00", "per_hour": 1}]})


tariffs = st.fixed_dictionaries(
    {"per_hour": st.integers(0, 200)},
    optional={"free_minutes": st.integers(0, 30), "daily_cap": st.integers(0, 2000)},
)
starts = st.integers(0, 14 * 24 * 60).map(lambda m: local(0, 0) + timedelta(minutes=m))
stays = st.integers(0, 3 * 24 * 60).map(lambda m: timedelta(minutes=m))


@given(tariff=tariffs, start=starts, stay=stays, more=stays)
def test_a_longer_stay_never_costs_less(
    tariff: dict[str, Any], start: datetime, stay: timedelta, more: timedelta
) -> None:
    assert 0 <= fee_of(tariff, start, start + stay) <= fee_of(tariff, start, start + stay + more)


@given(tariff=tariffs, start=starts, stay=stays)
def test_no_day_costs_more_than_its_cap(
    tariff: dict[str, Any], start: datetime, stay: timedelta
) -> None:
    cap = tariff.get("daily_cap")
    if cap is not None:
        days = (start + stay).date() - start.date()
        assert fee_of(tariff, start, start + stay) <= cap * (days.days + 1)


@given(start=starts, stay=stays)
def test_all_day_hourly_is_hours_rounded_up_per_day(start: datetime, stay: timedelta) -> None:
    # Without windows or cap, a stay on one local day costs its whole hours rounded up.
    end = start + stay
    if start.date() == end.date() and stay > timedelta(0):
        hours = -(-int(stay.total_seconds()) // 3600)
        assert fee_of({"per_hour": 30}, start, end) == 30 * hours
