"""opendata's domain errors, each with its stable code and the CKAN error type it answers as.

The Action API answers in CKAN's envelope (`error.__type`), the rest of the platform in
problem+json (`code`); each class carries both.
"""

from __future__ import annotations

from typing import ClassVar

from smartcity.core.errors import BadRequest, Conflict, InvalidInput, NotFound, PermissionDenied


class DatasetNotFound(NotFound):
    """No dataset the caller may see has that id or name."""

    code = "dataset_not_found"
    ckan_type: ClassVar[str] = "Not Found Error"


class ResourceNotFound(NotFound):
    """No resource the caller may see has that id."""

    code = "resource_not_found"
    ckan_type: ClassVar[str] = "Not Found Error"


class OrganizationNotFound(NotFound):
    """No department publishes under that name."""

    code = "organization_not_found"
    ckan_type: ClassVar[str] = "Not Found Error"


class InvalidParameter(InvalidInput):
    """A parameter the action cannot take: out of bounds, unknown field, SQL-like text."""

    code = "invalid_parameter"
    ckan_type: ClassVar[str] = "Validation Error"


class NameTaken(Conflict):
    """Another dataset already has that name."""

    code = "dataset_name_taken"
    ckan_type: ClassVar[str] = "Validation Error"


class RegisteredDataset(Conflict):
    """A module's dataset: its description follows the module's manifest, not hand edits."""

    code = "registered_dataset"
    ckan_type: ClassVar[str] = "Validation Error"


class NotPublisher(PermissionDenied):
    """Only staff with the `opendata` scope write to the catalogue, officers for their own
    department."""

    code = "not_publisher"
    ckan_type: ClassVar[str] = "Authorization Error"


class UnknownAction(BadRequest):
    """The Action API has no action by that name."""

    code = "unknown_action"
    ckan_type: ClassVar[str] = "Bad request"


class SourceNotFound(NotFound):
    """No harvest source has this name."""

    code = "harvest_source_not_found"
    ckan_type: ClassVar[str] = "Not Found Error"


class SourceNameTaken(Conflict):
    """Another harvest source already has that name."""

    code = "harvest_source_taken"
    ckan_type: ClassVar[str] = "Validation Error"


class NotDataOffice(PermissionDenied):
    """An officer of another department than the one that runs the catalogue."""

    code = "not_open_data_office"
    ckan_type: ClassVar[str] = "Authorization Error"
