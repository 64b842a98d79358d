"""identity's domain errors, each with the stable code its problem+json answers carry."""

from __future__ import annotations

from smartcity.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class InvalidOrganisationCode(InvalidInput):
    """An organisation code is 1–32 letters, digits, - or _."""

    code = "invalid_organisation_code"


class OrganisationExists(Conflict):
    """Another organisation has that code."""

    code = "organisation_exists"


class OrganisationKindMismatch(Conflict):
    """The organisation with that code is of another kind."""

    code = "organisation_kind_mismatch"


class OrganisationNotFound(NotFound):
    """No organisation has that code."""

    code = "organisation_not_found"


class CitizenExists(Conflict):
    """A citizen with that national ID is registered already."""

    code = "citizen_exists"


class InvalidRole(InvalidInput):
    """Staff are officers or administrators."""

    code = "invalid_role"


class DepartmentRequired(InvalidInput):
    """An officer belongs to a department."""

    code = "department_required"


class NotADepartment(InvalidInput):
    """The organisation named as an officer's department is not one."""

    code = "not_a_department"


class CitizenNotFound(NotFound):
    """No citizen has that id (staff are not citizens)."""

    code = "citizen_not_found"


class InvalidCitizenFacts(InvalidInput):
    """A birth date or district a citizen cannot have (in the future, or not of this city)."""

    code = "invalid_citizen_facts"


class NotACitizen(InvalidInput):
    """Only citizens have verification levels."""

    code = "not_a_citizen"


class InvalidName(InvalidInput):
    """A name has 1 to 100 characters."""

    code = "invalid_name"


class InvalidEmail(InvalidInput):
    """Not an e-mail address."""

    code = "invalid_email"


class EmailExists(Conflict):
    """Someone already uses that e-mail address."""

    code = "email_exists"


class InvalidPhone(InvalidInput):
    """A phone number has 8 to 16 digits."""

    code = "invalid_phone"


class InvalidKeyOwner(InvalidInput):
    """An API key belongs to one person or one organisation of its role's kind."""

    code = "invalid_key_owner"


class ApiKeyRevoked(Conflict):
    """The API key is revoked already."""

    code = "api_key_revoked"


class OnlyCitizensBind(PermissionDenied):
    """Only citizens bind identifiers to a digital ID."""

    code = "not_a_citizen"


class ProviderRequired(InvalidInput):
    """A payment method names the provider that holds it."""

    code = "provider_required"


class NotAProvider(InvalidInput):
    """The organisation named as a payment method's provider is not one."""

    code = "not_a_provider"


class UnexpectedProvider(InvalidInput):
    """Only payment methods name a provider."""

    code = "unexpected_provider"


class BindingExists(Conflict):
    """The citizen has bound that identifier already."""

    code = "binding_exists"


class InvalidEffectiveFrom(InvalidInput):
    """A binding cannot start in the past."""

    code = "invalid_effective_from"


class NotBindingAuthority(PermissionDenied):
    """The caller may not decide that binding."""

    code = "not_binding_authority"


class BindingDecided(Conflict):
    """The binding was confirmed or refused already."""

    code = "binding_decided"


class BindingNotFound(NotFound):
    """No binding of the caller has that id."""

    code = "binding_not_found"


class BindingEnded(Conflict):
    """The binding was revoked or refused already."""

    code = "binding_ended"
