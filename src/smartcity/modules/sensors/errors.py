"""sensors' domain errors, each with the stable code its problem+json answers carry.

SensorThings' own refusals (`sta_not_found`, `sta_invalid`…) are raised in `sta/`.
"""

from __future__ import annotations

from smartcity.core.errors import BadRequest, InvalidInput, NotFound, PermissionDenied, TooLarge


class NotOwner(PermissionDenied):
    """The data belongs to another organisation (or to the platform)."""

    code = "sensors_not_owner"


class NoOrganisation(NotOwner):
    """A credential of no organisation or department writes no sensor data."""

    code = "sensors_no_organisation"


class UnknownDevice(NotFound):
    """No registered device or station has that id."""

    code = "unknown_device"


class UnknownProperty(InvalidInput):
    """A property that is none of the quantities the hub stores."""

    code = "unknown_property"


class InvalidKind(InvalidInput):
    """A station is a reference station or an Airbox."""

    code = "invalid_kind"


class InvalidPosition(InvalidInput):
    """A latitude or longitude that is not on Earth."""

    code = "invalid_position"


class InvalidInterval(InvalidInput):
    """A device's expected reporting interval must be positive."""

    code = "invalid_interval"


class BodyTooLarge(TooLarge):
    """An upload larger than the module's `max_body_bytes`."""

    code = "body_too_large"


class InvalidEncoding(BadRequest):
    """A LASS upload that is not UTF-8 text."""

    code = "invalid_encoding"


class InvalidAirboxJson(BadRequest):
    """An upload that is not an Airbox open-data document."""

    code = "invalid_airbox_json"
