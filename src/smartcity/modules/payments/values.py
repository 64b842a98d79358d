"""payments' vocabularies (item kinds, bill states, payment flags, ledger accounts) and the
autopay charge values its service hands other modules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class ItemKind(StrEnum):
    """What kind of money a fee item collects."""

    TAX = "tax"
    """A local tax (house tax, land value tax, vehicle licence tax…)."""
    FEE = "fee"
    """A charge for a service (water, parking, certificates, hospital)."""
    FINE = "fine"
    """A penalty (traffic, environmental, building)."""
    DEPOSIT = "deposit"
    """Money held and returned later (bid bonds, venue deposits)."""
    TUITION = "tuition"
    """School tuition and school fees."""


class Channel(StrEnum):
    """Where a payer pays."""

    STORE = "store"
    """A convenience store counter, with the three-segment barcode."""
    BANK = "bank"
    """A bank counter, ATM or transfer to the virtual account."""
    CARD = "card"
    """A credit or debit card."""
    WALLET = "wallet"
    """A mobile wallet (LINE Pay, JKOPAY, easy wallet, Taiwan Pay with TWQR)."""
    AUTOPAY = "autopay"
    """A bound payment method charged by the platform (parking autopay)."""


class BillState(StrEnum):
    """Where a bill stands; the legal moves are in `states.TRANSITIONS`."""

    OPEN = "open"
    """Issued and payable."""
    PAID = "paid"
    """Its full amount has been collected."""
    WRITTEN_OFF = "written_off"
    """Paid and closed in the department's books (銷帳)."""
    CANCELLED = "cancelled"
    """Withdrawn by the department before payment."""
    EXPIRED = "expired"
    """Not paid by its due date; no longer payable."""


class PaymentFlag(StrEnum):
    """Why a collected payment needs a person's attention (the exception queue)."""

    NONE = "none"
    """Nothing wrong: the payment settled its bill."""
    DUPLICATE = "duplicate"
    """The bill was already paid; the whole payment is owed back."""
    OVERPAID = "overpaid"
    """More than the amount due; the excess is owed back."""
    UNDERPAID = "underpaid"
    """Less than due on a bill that allows no partial payment; all of it is owed back."""
    LATE = "late"
    """Paid after the bill expired or was cancelled; all of it is owed back."""


class ExceptionState(StrEnum):
    """Where an exception (a payment with a refund due) stands."""

    OPEN = "open"
    """Waiting for the department to act."""
    REFUNDED = "refunded"
    """The money due back was refunded."""
    RESOLVED = "resolved"
    """Closed without a refund (with a written reason)."""
    REPOSTED = "reposted"
    """The money due back was posted onto the bill it was meant for."""


class RefundState(StrEnum):
    """Where a refund stands (one is recorded when the money has gone back)."""

    COMPLETED = "completed"
    """The provider returned the money."""


class AccountType(StrEnum):
    """Ledger account types. Each account is `<type>:<key>`; debits = credits in every posting."""

    PROVIDER_CLEARING = "provider_clearing"
    """Asset: money a provider collected for the city and has not yet settled (key: provider)."""
    CITY_BANK = "city_bank"
    """Asset: the city treasury's bank account (key: `treasury`)."""
    DEPARTMENT_REVENUE = "department_revenue"
    """Revenue of one fee item (key: item code)."""
    REFUNDS_PAYABLE = "refunds_payable"
    """Liability: money collected that must go back to payers (key: department)."""
    PROVIDER_FEES = "provider_fees"
    """Expense: collection fees charged by providers (key: provider)."""
    PAYOUTS_PAYABLE = "payouts_payable"
    """Liability: disbursements approved and not yet confirmed paid (key: department)."""
    DISBURSEMENTS = "disbursements"
    """Expense: subsidies and other payouts a department made (key: department)."""


class EntryKind(StrEnum):
    """Why a ledger transaction was posted."""

    PAYMENT = "payment"
    """A provider collected money for a bill."""
    FEE = "fee"
    """A provider's collection fee for one payment."""
    REFUND_DUE = "refund_due"
    """Revenue turned into money owed back (a refund of a settled payment)."""
    REFUND_PAID = "refund_paid"
    """The provider returned money owed to a payer."""
    SETTLEMENT = "settlement"
    """A provider transferred collected money to the city's bank account."""
    PAYOUT_APPROVED = "payout_approved"
    """A disbursement batch was approved."""
    PAYOUT_PAID = "payout_paid"
    """The bank confirmed a payout."""
    PAYOUT_FAILED = "payout_failed"
    """The bank could not pay; the approval is reversed."""
    REPOSTED = "reposted"
    """Money owed back on one bill's payment was applied to another bill."""


class MatchOutcome(StrEnum):
    """What reconciliation made of one line of a settlement file (or a missing payment)."""

    MATCHED = "matched"
    """The line matches a recorded payment."""
    MISSING = "missing"
    """A recorded payment of that provider and day that the file does not list."""
    RECORDED = "recorded"
    """Unknown here but the bill exists: recorded now (the lost-callback case)."""
    UNKNOWN = "unknown"
    """Unknown here and no such bill: money to investigate."""
    AMOUNT_MISMATCH = "amount_mismatch"
    """The line names a recorded payment with a different amount."""
    DUPLICATE = "duplicate"
    """The same transaction appears more than once in the file."""


class SettlementFormat(StrEnum):
    """The settlement file formats accepted."""

    CSV = "csv"
    """`provider_txn_id,reference,amount,paid_at` with a header line."""
    FIXED = "fixed"
    """The convenience-store fixed-width record (67 characters a line)."""


class DeliveryState(StrEnum):
    """Where an outbound webhook stands."""

    PENDING = "pending"
    """Not yet delivered; will be tried at `next_attempt_at`."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    FAILED = "failed"
    """Gave up after the maximum number of attempts."""
    REFUSED = "refused"
    """Not sent: the URL leads to a private, local or reserved address (core.outbound)."""


class PayoutPurpose(StrEnum):
    """Why a department pays citizens; each purpose says who may be paid."""

    SUBSIDY = "subsidy"
    """A benefit or subsidy: any registered citizen (the department's programme decides)."""
    REFUND = "refund"
    """Money back for a payment: a citizen who paid this department at least that much."""


class BatchState(StrEnum):
    """Where a disbursement batch stands (maker–checker)."""

    AWAITING_APPROVAL = "awaiting_approval"
    """Made by one officer; a second officer of the department must approve it."""
    APPROVED = "approved"
    """Approved: posted to the ledger, its instructions may go to the bank."""
    REJECTED = "rejected"
    """Refused by the second officer; nothing is paid."""


class PayoutState(StrEnum):
    """Where one payout of a disbursement batch stands."""

    PENDING = "pending"
    """In a batch that waits for approval; nothing was sent."""
    CANCELLED = "cancelled"
    """Its batch was rejected; nothing was sent."""
    INSTRUCTED = "instructed"
    """Sent to the bank as an instruction."""
    PAID = "paid"
    """The bank confirmed the transfer."""
    FAILED = "failed"
    """The bank could not pay (closed account…)."""
    NO_ACCOUNT = "no_account"
    """The citizen has no verified receiving account; nothing was sent."""


class IntentState(StrEnum):
    """Where a sandbox payment started on the hosted page stands."""

    PENDING = "pending"
    """The payer confirmed; the callback has not been delivered yet."""
    DELIVERED = "delivered"
    """The signed callback reached the platform."""
    DECLINED = "declined"
    """The sandbox declined the charge."""


@dataclass(frozen=True)
class ChargeRequest:
    """A charge autopay still owes a provider once the bill (an exit's, a roadside stay's) is
    committed."""

    bill_id: uuid.UUID
    reference: str
    amount: int
    provider: str
    token: str
    charge_url: str
    secret: str


@dataclass(frozen=True)
class ChargeOutcome:
    """The provider's answer: its transaction id when approved, the reason otherwise."""

    approved: bool
    detail: str


class ImportState(StrEnum):
    """Where a bill file uploaded in the browser stands."""

    QUEUED = "queued"
    """Waiting for the job worker."""
    RUNNING = "running"
    """The worker is issuing its lines."""
    DONE = "done"
    """Every line was issued or refused."""


class FindingResolution(StrEnum):
    """How a person closed a settlement finding."""

    ACCEPTED = "accepted"
    """Looked into and accepted as it is, with a reason."""
    CORRECTED = "corrected"
    """Put right by the finding's corrective action (e.g. the missing payment was refunded)."""


UNRESOLVED_OUTCOMES = (
    MatchOutcome.MISSING,
    MatchOutcome.UNKNOWN,
    MatchOutcome.AMOUNT_MISMATCH,
    MatchOutcome.DUPLICATE,
)
"""Findings a person must close: matched and recorded lines need nobody."""
