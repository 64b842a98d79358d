"""airquality's domain errors, each with the stable code its problem+json answers carry."""

from __future__ import annotations

from smartcity.core.errors import InvalidInput, NotFound


class InvalidDay(InvalidInput):
    """A day that is not `YYYY-MM-DD`, or outside 2000–2100."""

    code = "invalid_day"


class InvalidTime(InvalidInput):
    """A time that is not ISO 8601, or outside 2000–2100."""

    code = "invalid_time"


class InvalidSlice(InvalidInput):
    """Quality slices must divide a day into whole minutes (1…60)."""

    code = "invalid_slice"


class InvalidMethod(InvalidInput):
    """An interpolation method other than kriging or IDW."""

    code = "invalid_method"


class InvalidPosition(InvalidInput):
    """A point that is not on Earth."""

    code = "invalid_position"


class TooFar(InvalidInput):
    """The point is farther from every device than the map estimates."""

    code = "too_far"


class InvalidBbox(InvalidInput):
    """A map extent that is inverted or not on Earth."""

    code = "invalid_bbox"


class BboxTooLarge(InvalidInput):
    """A map extent wider or taller than 5°."""

    code = "bbox_too_large"


class GridTooLarge(InvalidInput):
    """A map grid with fewer than 2 or more than 500 cells a side."""

    code = "grid_too_large"


class NoReadings(NotFound):
    """No device reported in the window before the time asked for."""

    code = "no_readings"


class UnknownDevice(NotFound):
    """No device of that id has readings or a health summary."""

    code = "unknown_device"


class UnknownDistrict(NotFound):
    """The city profile has no district of that code."""

    code = "unknown_district"
