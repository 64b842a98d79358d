"""chatbot's domain errors, each with the stable code its problem+json answers carry."""

from __future__ import annotations

from smartcity.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class ItemNotFound(NotFound):
    """No knowledge-base item has that id or source id (or it is not answerable)."""

    code = "item_not_found"


class ItemIncomplete(InvalidInput):
    """An item needs a question and an answer."""

    code = "item_incomplete"


class InvalidDates(InvalidInput):
    """An item's validity ends before it starts."""

    code = "invalid_dates"


class DuplicateSource(InvalidInput):
    """Another item already has that source id."""

    code = "duplicate_source"


class DepartmentNotFound(InvalidInput):
    """No organisation has that department code."""

    code = "department_not_found"


class EmptyQuestion(InvalidInput):
    """Nothing is left of the question once cleaned."""

    code = "empty_question"


class ItemRetired(InvalidInput):
    """A retired item takes no new phrasings."""

    code = "item_retired"


class OtherDepartment(PermissionDenied):
    """An officer acts on another department's item or question (core.departments' rule)."""

    code = "other_department"


class LinkFailed(InvalidInput):
    """LINE reported the account link as failed (the user cancelled, or the token expired)."""

    code = "line_link_failed"


class LinkNonceUnknown(InvalidInput):
    """The accountLink event carries a nonce this platform never made."""

    code = "line_link_nonce_unknown"


class LinkNonceUsed(Conflict):
    """The nonce already linked an account: an event replayed with it binds nothing."""

    code = "line_link_nonce_used"


class LinkExpired(InvalidInput):
    """The nonce was made too long ago (LINE's link token lives ten minutes)."""

    code = "line_link_expired"


class LinkTokenMissing(InvalidInput):
    """The link page was opened without LINE's link token."""

    code = "line_link_token_missing"


class LinkTokenRefused(Conflict):
    """The Messaging API did not issue a link token."""

    code = "line_link_token_refused"


class UnknownDistrict(InvalidInput):
    """The city profile has no district with that code."""

    code = "unknown_district"
