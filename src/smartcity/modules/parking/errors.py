"""parking's domain errors, each with the stable code its problem+json answers carry."""

from __future__ import annotations

from smartcity.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class SegmentNotFound(NotFound):
    """No segment has that code."""

    code = "segment_not_found"


class BayNotFound(NotFound):
    """No bay has that code."""

    code = "bay_not_found"


class DuplicateSegment(Conflict):
    """Another segment already has that code."""

    code = "duplicate_segment"


class DuplicateBay(Conflict):
    """A bay code or a sensor's dev EUI is already another bay's."""

    code = "duplicate_bay"


class UnknownSensorModel(InvalidInput):
    """The hub has no decoder for that sensor model."""

    code = "unknown_sensor_model"


class UnknownSensorOwner(InvalidInput):
    """The organisation named to own a WiFi sensor is not a device owner."""

    code = "unknown_sensor_owner"


class UnknownFeeItem(InvalidInput):
    """The fee item is not one of the segment's department's payments items."""

    code = "unknown_fee_item"


class InvalidPlate(InvalidInput):
    """The plate is not written as plates are (ABC-1234)."""

    code = "invalid_plate"


class InvalidImport(InvalidInput):
    """A bay file that cannot be read as CSV or GeoJSON of bays."""

    code = "invalid_import"


class OtherDepartment(PermissionDenied):
    """An officer acts on another department's segment."""

    code = "other_department"
