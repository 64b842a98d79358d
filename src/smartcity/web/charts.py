"""Charts over time, laid out on the server: axes with round ticks, values and a legend.

A module builds a `Chart` here and includes `web/chart.svg`, which draws it with every text
escaped (no script: the policy forbids inline code). The time axis adapts to the span shown —
hours for a day, days for a month, months for a year — and bars are summed into days, weeks or
months so that a year of daily sums stays readable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from smartcity.core.time import city_zone, to_local

PALETTE = ("#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#a16207")
"""Series colours, told apart also by people with red–green colour blindness."""
MAX_BARS = 62
"""More days than this are summed into weeks."""
WEEKS_UP_TO = 126
"""More days than this (18 weeks) are summed into months."""


@dataclass(frozen=True)
class Tick:
    """A labelled position along an axis (SVG units)."""

    at: float
    label: str


@dataclass(frozen=True)
class Point:
    """A drawn value: where, and what its tooltip says."""

    x: float
    y: float
    label: str
    value: str


@dataclass(frozen=True)
class Bar:
    """A drawn bar of a summed period."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line (a target, a baseline, a band's limit)."""

    y: float
    label: str
    colour: str


@dataclass(frozen=True)
class Line:
    """One series: its name and colour (the legend), its points or bars."""

    name: str
    colour: str
    points: list[Point] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        """The points as an SVG `points` list."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Chart:
    """A laid-out chart; `web/chart.svg` draws it."""

    title: str
    unit: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]
    rules: list[Rule]
    empty: str
    """What the chart says when it has nothing to draw."""
    period: str = ""
    """The period each bar sums (`day`, `week`, `month`), empty for lines."""

    @property
    def has_values(self) -> bool:
        """Whether any series has a point or a bar."""
        return any(line.points or line.bars for line in self.lines)


def nice_step(span: float, count: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `count` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1.0, 2.0, 2.5, 5.0, 10.0) if raw <= f * power * (1 + 1e-9))


def format_value(value: float, step: float = 1.0) -> str:
    """A value as the axis writes it: thousands grouped, as many decimals as the step has (a
    step of 0.25 needs two, 2.5 one), at most six."""
    decimals = next(
        (d for d in range(6) if abs(round(step, d) - step) <= 1e-9 * max(1.0, abs(step))), 6
    )
    return f"{value:,.{decimals}f}"


def _exact(value: float) -> str:
    """A measured value as written: grouped thousands, at most two decimals, no trailing zeros."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _value_ticks(low: float, high: float) -> tuple[float, float, list[float]]:
    if high <= low:
        low, high = (low - 1, high + 1) if low else (0.0, 1.0)
    step = nice_step(high - low)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    count = round((last - first) / step)
    return first, last, [first + i * step for i in range(count + 1)]


def _time_ticks(start: datetime, end: datetime) -> tuple[list[datetime], str]:
    """Round local times across [start, end] and the strftime pattern of their labels."""
    span = end - start
    local = to_local(start)
    if span <= timedelta(days=2):
        hours = 3 if span <= timedelta(hours=30) else 6
        first = local.replace(minute=0, second=0, microsecond=0)
        first += timedelta(hours=(-first.hour) % hours)
        step, pattern = timedelta(hours=hours), "%H:%M"
        ticks = []
        at = first
        while at <= end:
            ticks.append(at)
            at += step
        return ticks, pattern
    if span <= timedelta(days=62):
        days = 1 if span <= timedelta(days=10) else 7
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        day = local.date() if local == midnight else local.date() + timedelta(days=1)
        if days == 7:
            day += timedelta(days=(-day.weekday()) % 7)  # Mondays
        ticks = []
        while (at := datetime.combine(day, time(), city_zone())) <= end:
            ticks.append(at)
            day += timedelta(days=days)
        return ticks, "%m-%d"
    months = 1 if span <= timedelta(days=400) else 3
    year, month = local.year, local.month + 1
    ticks = []
    while True:
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        at = datetime.combine(date(year, month, 1), time(), city_zone())
        if at > end:
            return ticks, "%Y-%m"
        ticks.append(at)
        month += months


def _period_of(start: date, end: date) -> str:
    days = (end - start).days + 1
    if days <= MAX_BARS:
        return "day"
    if days <= WEEKS_UP_TO:
        return "week"
    return "month"


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_period(day: date, period: str) -> date:
    if period == "week":
        return day + timedelta(days=7)
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _frame(width: int, height: int) -> tuple[int, int, int, int]:
    """The plot area (left, right, top, bottom): the unit and the legend above it, the time
    labels below it, the value labels to its left."""
    return 64, width - 16, 34, height - 28


def time_series(
    series: Sequence[tuple[str, Sequence[tuple[datetime, float]]]],
    *,
    title: str,
    unit: str,
    start: datetime | None = None,
    end: datetime | None = None,
    rules: Sequence[tuple[float, str]] = (),
    empty: str = "",
    width: int = 640,
    height: int = 240,
    covers: tuple[float, float] | None = None,
) -> Chart:
    """Lines of (time, value) per named series over [start, end] (the values' span by default),
    with horizontal `rules` (value, label); the value axis spans at least `covers` (a share's
    0–100 %, even before there is a value)."""
    times = [t for _name, values in series for t, _v in values]
    start = start or min(times, default=None) or datetime.now(city_zone())
    end = end or max(times, default=None) or start + timedelta(hours=1)
    if end <= start:
        end = start + timedelta(hours=1)
    numbers = [v for _name, values in series for _t, v in values if math.isfinite(v)]
    numbers += [value for value, _label in rules]
    numbers += covers or ()
    low, high, y_values = _value_ticks(min(numbers, default=0.0), max(numbers, default=1.0))
    left, right, top, bottom = _frame(width, height)

    def x(at: datetime) -> float:
        return left + (at - start).total_seconds() / (end - start).total_seconds() * (right - left)

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    ticks, pattern = _time_ticks(start, end)
    lines = [
        Line(
            name,
            PALETTE[index % len(PALETTE)],
            points=[
                Point(x(t), y(v), to_local(t).strftime("%Y-%m-%d %H:%M"), _exact(v))
                for t, v in values
                if math.isfinite(v) and start <= t <= end
            ],
        )
        for index, (name, values) in enumerate(series)
    ]
    return Chart(
        title=title,
        unit=unit,
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_ticks=[Tick(x(t), to_local(t).strftime(pattern)) for t in ticks],
        y_ticks=[Tick(y(v), format_value(v, y_values[1] - y_values[0])) for v in y_values],
        lines=lines,
        rules=[Rule(y(value), label, "#15803d") for value, label in rules],
        empty=empty,
    )


def daily_bars(
    values: dict[date, int],
    *,
    start: date,
    end: date,
    title: str,
    unit: str,
    name: str,
    empty: str = "",
    width: int = 640,
    height: int = 240,
) -> Chart:
    """Bars of per-day sums over [start, end], summed into weeks or months when there are too
    many days for a bar each."""
    period = _period_of(start, end)
    sums: dict[date, int] = {}
    for day, value in values.items():
        if start <= day <= end:
            key = _period_start(day, period)
            sums[key] = sums.get(key, 0) + value
    periods = []
    at = _period_start(start, period)
    while at <= end:
        periods.append(at)
        at = _next_period(at, period)
    low, high, y_values = _value_ticks(0.0, float(max(sums.values(), default=0)) or 1.0)
    left, right, top, bottom = _frame(width, height)
    slot = (right - left) / max(len(periods), 1)
    step = y_values[1] - y_values[0] if len(y_values) > 1 else 1.0

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    label_pattern = "%Y-%m" if period == "month" else "%m-%d"
    bars = [
        Bar(
            left + index * slot + slot * 0.12,
            y(sums.get(day, 0)),
            slot * 0.76,
            bottom - y(sums.get(day, 0)),
            day.strftime("%Y-%m" if period == "month" else "%Y-%m-%d"),
            format_value(sums.get(day, 0)),
        )
        for index, day in enumerate(periods)
    ]
    every = max(1, math.ceil(len(periods) / 8))
    return Chart(
        title=title,
        unit=unit,
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_ticks=[
            Tick(left + (index + 0.5) * slot, day.strftime(label_pattern))
            for index, day in enumerate(periods)
            if index % every == 0
        ],
        y_ticks=[Tick(y(v), format_value(v, step)) for v in y_values],
        lines=[Line(name, PALETTE[0], bars=bars)] if sums else [],
        rules=[],
        empty=empty,
        period=period,
    )


def category_bars(
    values: Sequence[tuple[str, int]],
    *,
    title: str,
    unit: str,
    name: str,
    threshold: tuple[int, str] | None = None,
    empty: str = "",
    width: int = 360,
    height: int = 240,
) -> Chart:
    """One bar per named category (a vote's answers), labelled by their numbers under the axis
    (the names go in the legend and tooltips, since long names do not fit under a bar on a
    phone), with an optional threshold line."""
    top_value = max([v for _label, v in values] + [threshold[0] if threshold else 0])
    # Counts are whole: at least four units high, so that no tick falls between two counts.
    low, high, y_values = _value_ticks(0.0, float(max(top_value, 4)))
    left, right, top, bottom = _frame(width, height)
    slot = (right - left) / max(len(values), 1)
    step = y_values[1] - y_values[0] if len(y_values) > 1 else 1.0

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    bars = [
        Bar(
            left + index * slot + slot * 0.15,
            y(value),
            slot * 0.7,
            bottom - y(value),
            label,
            format_value(value),
        )
        for index, (label, value) in enumerate(values)
    ]
    rules = [Rule(y(threshold[0]), threshold[1], PALETTE[1])] if threshold else []
    return Chart(
        title=title,
        unit=unit,
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_ticks=[Tick(left + (index + 0.5) * slot, str(index + 1)) for index in range(len(values))],
        y_ticks=[Tick(y(v), format_value(v, step)) for v in y_values],
        lines=[Line(name, PALETTE[0], bars=bars)] if values else [],
        rules=rules,
        empty=empty,
    )
