"""Where the public map writes each segment's name and free bays, so that the label stays on
the map and beside its own bays."""

from __future__ import annotations

from smartcity.modules.parking.availability import (
    LABEL_GAP,
    LABEL_ROOM,
    MapBay,
    SegmentAvailability,
    segment_labels,
)


def segment(code: str, free: int = 1) -> SegmentAvailability:
    return SegmentAvailability(code, f"路{code}", f"Road {code}", None, 4, free, 0, None)


def row(code: str, y: float, x0: float = 100) -> list[MapBay]:
    return [MapBay(f"{code}-{n}", code, "free", x0 + 14 * n, y) for n in range(4)]


def column(code: str, x: float, y0: float = 300) -> list[MapBay]:
    return [MapBay(f"{code}-{n}", code, "free", x, y0 + 14 * n) for n in range(4)]


def test_a_row_is_labelled_above_its_middle_or_below_at_the_top_edge() -> None:
    (above,) = segment_labels(row("A", y=200, x0=300), [segment("A")], 800)
    assert (above.x, above.y, above.anchor) == (321.0, 200 - LABEL_GAP, "middle")
    (below,) = segment_labels(row("B", y=20), [segment("B")], 800)
    assert below.y > 20 and below.anchor == "middle"


def test_a_row_at_the_map_s_edge_keeps_its_label_on_the_map() -> None:
    (label,) = segment_labels(row("A", y=200, x0=5), [segment("A")], 800)
    assert label.x == LABEL_ROOM / 2


def test_a_column_is_labelled_on_the_side_with_room() -> None:
    left_of_edge, right_of_middle = segment_labels(
        column("A", x=760) + column("B", x=300), [segment("A"), segment("B")], 800
    )
    assert left_of_edge.anchor == "end" and left_of_edge.x < 760
    assert right_of_middle.anchor == "start" and right_of_middle.x > 300
    assert left_of_edge.y == 321 and right_of_middle.y == 321  # beside the column's middle


def test_a_segment_without_bays_on_the_map_gets_no_label() -> None:
    labels = segment_labels(row("A", y=200), [segment("A"), segment("EMPTY")], 800)
    assert [label.segment.code for label in labels] == ["A"]
