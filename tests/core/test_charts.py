"""The shared chart helper: round ticks, a time axis for a day, a month and a year, bars summed
when there are too many days, and values and legends drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.app import build_platform
from smartcity.core.keys import KeyRing
from smartcity.core.pages import PageRenderer
from smartcity.core.settings import Settings
from smartcity.web import charts

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 2026-03-02 00:00 in Taipei


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> PageRenderer:
    folder = tmp_path_factory.mktemp("charts")
    platform = build_platform(
        Settings(database_url=f"sqlite:///{folder / 'c.db'}"), keys=KeyRing.ephemeral()
    )
    found = platform.services["pages"]
    assert isinstance(found, PageRenderer)
    return found


def _drawn(renderer: PageRenderer, chart: charts.Chart) -> ET.Element:
    svg = renderer.render("web/chart.svg", "zh_Hant", {"chart": chart})
    return ET.fromstring(svg)  # noqa: S314  # our own template's output


@given(st.floats(min_value=1e-3, max_value=1e9))
def test_a_step_is_round_and_gives_a_handful_of_intervals(span: float) -> None:
    step = charts.nice_step(span)
    mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
    assert round(mantissa, 6) in (1.0, 2.0, 2.5, 5.0)
    assert 2 <= span / step <= 4 + 1e-6


@given(st.floats(min_value=1e-3, max_value=1e9), st.integers(min_value=-20, max_value=20))
def test_an_axis_label_reads_as_the_value_it_marks(span: float, first: int) -> None:
    step = charts.nice_step(span)
    for value in ((first + i) * step for i in range(5)):
        shown = float(charts.format_value(value, step).replace(",", ""))
        assert shown == pytest.approx(value, abs=step * 1e-6)


def test_an_empty_chart_s_axis_is_labelled_in_quarters() -> None:
    chart = charts.time_series([("a", [])], title="t", unit="%", start=START, empty="none")
    assert [tick.label for tick in chart.y_ticks] == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    share = charts.time_series([("a", [])], title="t", unit="%", start=START, covers=(0, 100))
    assert [tick.label for tick in share.y_ticks] == ["0", "25", "50", "75", "100"]


@pytest.mark.parametrize(
    ("span", "labels"),
    [
        (timedelta(hours=24), ["00:00", "03:00", "06:00", "09:00", "12:00"]),
        (timedelta(days=30), ["03-02", "03-09", "03-16"]),
        (timedelta(days=365), ["2026-04", "2026-05", "2026-06"]),
    ],
)
def test_the_time_axis_reads_at_a_day_a_month_and_a_year(
    span: timedelta, labels: list[str]
) -> None:
    values = [(START + span * i / 20, float(i)) for i in range(21)]
    chart = charts.time_series([("PM2.5", values)], title="t", unit="µg/m³")
    shown = [tick.label for tick in chart.x_ticks]
    assert shown[: len(labels)] == labels
    positions = [tick.at for tick in chart.x_ticks]
    assert positions == sorted(positions) and chart.left <= positions[0] <= chart.right
    assert 3 <= len(shown) <= 14


def test_values_are_placed_on_the_value_axis() -> None:
    chart = charts.time_series(
        [
            (
                "a",
                [
                    (START, 10.0),
                    (START + timedelta(hours=1), 30.0),
                    (START + timedelta(hours=2), 23.45),
                ],
            )
        ],
        title="t",
        unit="u",
        rules=[(35.5, "limit")],
    )
    assert [t.label for t in chart.y_ticks] == ["10", "20", "30", "40"]
    by_label = {t.label: t.at for t in chart.y_ticks}
    low, high, between = chart.lines[0].points
    assert low.y == pytest.approx(by_label["10"]) and high.y == pytest.approx(by_label["30"])
    assert by_label["40"] < chart.rules[0].y < by_label["30"]
    assert [p.value for p in chart.lines[0].points] == ["10", "30", "23.45"]
    assert low.x == chart.left and between.x == chart.right


def test_a_year_of_days_becomes_months_and_a_fortnight_stays_days() -> None:
    first = date(2025, 12, 7)
    values = {first + timedelta(days=i): 100 for i in range(365)}
    year = charts.daily_bars(
        values, start=first, end=first + timedelta(days=364), title="t", unit="NTD", name="n"
    )
    assert year.period == "month" and len(year.lines[0].bars) == 13
    assert sum(int(b.value.replace(",", "")) for b in year.lines[0].bars) == 36_500
    assert year.lines[0].bars[1].label == "2026-01" and year.lines[0].bars[1].value == "3,100"
    fortnight = charts.daily_bars(
        values, start=first, end=first + timedelta(days=13), title="t", unit="NTD", name="n"
    )
    assert fortnight.period == "day" and len(fortnight.lines[0].bars) == 14
    quarter = charts.daily_bars(
        values, start=first, end=first + timedelta(days=120), title="t", unit="NTD", name="n"
    )
    assert quarter.period == "week"


def test_the_drawing_has_axes_values_and_a_legend(renderer: PageRenderer) -> None:
    first = date(2026, 3, 1)
    chart = charts.daily_bars(
        {first: 1_200, first + timedelta(days=2): 300},
        start=first,
        end=first + timedelta(days=6),
        title="收款金額",
        unit="NTD",
        name="收款",
    )
    root = _drawn(renderer, chart)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "03-01" in texts and "1,200" in texts and "300" in texts  # axis and values
    assert "NTD" in texts and "收款" in texts  # unit and legend
    assert len(root.findall(f".//{SVG}rect")) >= 7 + 1


def test_an_empty_chart_says_so(renderer: PageRenderer) -> None:
    chart = charts.time_series(
        [("PM2.5", [])],
        title="t",
        unit="µg/m³",
        start=START,
        end=START + timedelta(days=1),
        empty="這段期間沒有讀數。",
    )
    assert not chart.has_values
    texts = [t.text for t in _drawn(renderer, chart).iter(f"{SVG}text")]
    assert "這段期間沒有讀數。" in texts


def test_category_bars_draw_one_bar_per_answer_on_whole_ticks_with_a_threshold() -> None:
    chart = charts.category_bars(
        [("贊成", 3), ("反對", 1), ("無意見", 0)],
        title="t",
        unit="票",
        name="票數",
        threshold=(2, "1% 門檻"),
    )
    (line,) = chart.lines
    assert [bar.value for bar in line.bars] == ["3", "1", "0"]
    assert [tick.label for tick in chart.x_ticks] == ["1", "2", "3"]
    assert all(float(tick.label) == int(float(tick.label)) for tick in chart.y_ticks)
    (rule,) = chart.rules
    assert chart.top <= rule.y <= chart.bottom
    assert line.bars[0].y < rule.y < line.bars[1].y
