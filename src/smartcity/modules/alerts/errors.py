"""alerts' domain errors, each with its stable problem code."""

from __future__ import annotations

from smartcity.core.errors import BadRequest, Conflict, InvalidInput, NotFound, TooLarge


class EventUnreadable(BadRequest):
    """The body is not a JSON object."""

    code = "alert_event_unreadable"


class InvalidEvent(InvalidInput):
    """The event breaks the Alert vocabulary or a limit."""

    code = "invalid_alert_event"


class EventTooLarge(TooLarge):
    """The body or the detector's raw output is over its limit."""

    code = "alert_event_too_large"


class UnknownDetector(InvalidInput):
    """No detector of the sender's organisation has this id (another owner's included)."""

    code = "unknown_detector"


class EventConflict(Conflict):
    """The device reused an event id for a different event."""

    code = "alert_event_conflict"


class AlertNotFound(NotFound):
    """No such alert, or one of another department."""

    code = "alert_not_found"


class AlertAlreadyAcknowledged(Conflict):
    """Someone acknowledged the alert before."""

    code = "alert_already_acknowledged"


class AlertNotAcknowledged(Conflict):
    """A verdict comes after an acknowledgement."""

    code = "alert_not_acknowledged"


class AlertAlreadyResolved(Conflict):
    """The alert was confirmed or marked false already."""

    code = "alert_already_resolved"


class DetectorExists(Conflict):
    """A detector with this device id is registered already."""

    code = "detector_exists"


class OrganisationKindMismatch(InvalidInput):
    """A detector's owner must be a device owner, and who answers alerts a department."""

    code = "organisation_kind_mismatch"


class UnknownCategory(InvalidInput):
    """A category that is not among FIWARE Alert's categories."""

    code = "unknown_category"


class UnknownSubCategory(InvalidInput):
    """A sub-category that its category does not have."""

    code = "unknown_sub_category"
