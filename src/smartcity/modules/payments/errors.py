"""payments' domain errors, each with the stable code its problem+json answers carry."""

from __future__ import annotations

from smartcity.core.errors import (
    BadRequest,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)


class NotUtf8(BadRequest):
    """An uploaded file that is not UTF-8 text."""

    code = "invalid_encoding"


class BatchAlreadyDecided(Conflict):
    """The payout batch was already approved or rejected."""

    code = "batch_decided"


class BatchNotApproved(Conflict):
    """The payout batch is not approved: nothing of it goes to the bank."""

    code = "batch_not_approved"


class BillNotOpen(Conflict):
    """The bill is no longer open to be paid."""

    code = "bill_not_open"


class PaymentOnTheWay(Conflict):
    """A payment of the bill was sent from the hosted page and is not recorded yet."""

    code = "payment_on_the_way"


class IdempotencyKeyReused(Conflict):
    """The Idempotency-Key came before with a different request."""

    code = "idempotency_key_reused"


class IllegalBillTransition(Conflict):
    """The move is not in the bill's transition table."""

    code = "illegal_bill_transition"


class NoOpenException(Conflict):
    """The payment has no open exception to resolve."""

    code = "no_open_exception"


class NotRefundable(Conflict):
    """The item's applied money is not refundable."""

    code = "not_refundable"


class NothingToRefund(Conflict):
    """The payment was refunded in full."""

    code = "nothing_to_refund"


class NumbersExhausted(Conflict):
    """No free write-off number was found."""

    code = "numbers_exhausted"


class PayoutAlreadyDecided(Conflict):
    """The bank's answer on this payout was already recorded."""

    code = "payout_decided"


class PlateTaken(Conflict):
    """The plate already has an autopay."""

    code = "plate_taken"


class ProviderTxnReused(Conflict):
    """The provider_txn_id was recorded before with other values."""

    code = "provider_txn_reused"


class RefundExceedsPayment(Conflict):
    """A refund of more than is left of the payment."""

    code = "refund_exceeds_payment"


class TwinInProgress(Conflict):
    """A concurrent request with the same key is still being recorded."""

    code = "in_progress"


class AmountOverCap(InvalidInput):
    """One bill of the item would be more than its cap."""

    code = "amount_over_cap"


class DepartmentRequired(InvalidInput):
    """The caller acts for every department and named none."""

    code = "department_required"


class InvalidAmount(InvalidInput):
    """An amount that is not a positive whole NTD in range."""

    code = "invalid_amount"


class InvalidBarcode(InvalidInput):
    """A store barcode that cannot be read."""

    code = "invalid_barcode"


class InvalidBatch(InvalidInput):
    """A payout batch with no payees or too many."""

    code = "invalid_batch"


class InvalidCallback(InvalidInput):
    """A signed body that is not a sandbox callback."""

    code = "invalid_callback"


class InvalidCheckCode(InvalidInput):
    """A store barcode whose check code does not hold."""

    code = "invalid_check_code"


class InvalidCheckDigit(InvalidInput):
    """A reference whose check digit does not hold (mistyped or garbled)."""

    code = "invalid_check_digit"


class InvalidDueDate(InvalidInput):
    """A due date that has passed or is too far away to encode."""

    code = "invalid_due_date"


class InvalidEffectiveFrom(InvalidInput):
    """An autopay that would start in the past."""

    code = "invalid_effective_from"


class InvalidFile(InvalidInput):
    """A bill or settlement file that cannot be read as its format."""

    code = "invalid_file"


class InvalidPayer(InvalidInput):
    """A bill must name exactly one payer of a known kind."""

    code = "invalid_payer"


class InvalidPrefix(InvalidInput):
    """A virtual account prefix that is not digits of the right length."""

    code = "invalid_prefix"


class InvalidProviderCode(InvalidInput):
    """A provider code that is not 1 to 32 letters and digits."""

    code = "invalid_code"


class InvalidVirtualAccount(InvalidInput):
    """A virtual account that cannot be one."""

    code = "invalid_virtual_account"


class InvalidWriteOffNumber(InvalidInput):
    """A write-off number that cannot be one."""

    code = "invalid_write_off_number"


class ItemNotForCarPark(InvalidInput):
    """An item a car park may not bill (not its department's capped parking fee)."""

    code = "item_not_for_car_park"


class MethodNotBound(InvalidInput):
    """An autopay names a payment method the citizen has not bound."""

    code = "method_not_bound"


class PayeeNotAllowed(InvalidInput):
    """The payout's purpose does not allow paying this citizen this much."""

    code = "payee_not_allowed"


class PlateNotBound(InvalidInput):
    """Autopay needs a plate the citizen has bound."""

    code = "plate_not_bound"


class ProviderRequired(InvalidInput):
    """A settlement file sent without naming its provider."""

    code = "provider_required"


class UnknownCitizen(InvalidInput):
    """The named payer or payee is no registered citizen."""

    code = "unknown_citizen"


class UnknownOrganisation(InvalidInput):
    """No organisation of the needed kind has that code."""

    code = "unknown_organisation"


class SignatureExpired(NotAuthenticated):
    """A signature older than the tolerance (a replay?)."""

    code = "signature_expired"


class SignatureInvalid(NotAuthenticated):
    """A signature that does not match the body, or has no timestamp."""

    code = "signature_invalid"


class SignatureMissing(NotAuthenticated):
    """A signed request came without its signature header."""

    code = "signature_missing"


class AutopayNotFound(NotFound):
    """No autopay of the citizen has that id."""

    code = "unknown_autopay"


class BatchNotFound(NotFound):
    """No payout batch the caller may see has that id."""

    code = "unknown_batch"


class BillNotFound(NotFound):
    """No bill has that id."""

    code = "unknown_bill"


class IntentNotFound(NotFound):
    """No sandbox payment has that id."""

    code = "unknown_intent"


class ItemNotFound(NotFound):
    """No fee item has that code."""

    code = "unknown_item"


class PaymentNotFound(NotFound):
    """No payment the caller may see has that id."""

    code = "unknown_payment"


class PayoutNotFound(NotFound):
    """No payout has that id."""

    code = "unknown_payout"


class ReferenceNotFound(NotFound):
    """No bill the caller may see has that reference."""

    code = "unknown_reference"


class SettlementNotFound(NotFound):
    """No settlement file the caller may see has that id."""

    code = "unknown_settlement"


class MakerCannotApprove(PermissionDenied):
    """Who made a payout batch cannot approve it."""

    code = "maker_cannot_approve"


class NotACarPark(PermissionDenied):
    """The device key belongs to no registered car park."""

    code = "not_a_car_park"


class NotAProvider(PermissionDenied):
    """The key belongs to no provider."""

    code = "not_a_provider"


class NotAnOfficer(PermissionDenied):
    """Only officers and administrators act for a department."""

    code = "not_an_officer"


class NotYourDepartment(PermissionDenied):
    """An officer acts on another department's object (core.departments' rule)."""

    code = "not_your_department"


class PersonRequired(PermissionDenied):
    """Payout batches are made and approved by people, not machine keys."""

    code = "person_required"


class NothingToRepost(Conflict):
    """The payment owes nothing back that could be posted onto another bill."""

    code = "nothing_to_repost"


class RepostTarget(Conflict):
    """The bill chosen to receive the money cannot take it (the same bill, or not open)."""

    code = "repost_target_invalid"


class RepostTooSmall(Conflict):
    """The money owed back is less than the bill's outstanding amount and it allows no part."""

    code = "repost_too_small"


class ReasonRequired(InvalidInput):
    """An officer's action on money or a finding needs a written reason."""

    code = "reason_required"


class NotAnOfficerHere(InvalidInput):
    """The person to assign is not an active officer of the department."""

    code = "assignee_not_officer"


class FindingNotFound(NotFound):
    """No settlement finding has this id (or the caller may not see it)."""

    code = "finding_not_found"


class FindingClosed(Conflict):
    """The finding was already closed, or needs no one (a matched line)."""

    code = "finding_closed"


class NoCorrection(Conflict):
    """This finding has no corrective action; accept it with a reason."""

    code = "no_correction"


class ImportNotFound(NotFound):
    """No bill import has this id (or it is another department's)."""

    code = "import_not_found"
