"""chatbot's domain errors, each with the stable code its problem+json answers carry."""

from __future__ import annotations

from smartcity.core.errors import InvalidInput, NotFound, PermissionDenied


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
