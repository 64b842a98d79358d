"""A year of the demo city's collections: what every console and chart has to tell.

Taiwan's local taxes fall due in their seasons — the vehicle licence tax in April and October,
the house tax in May, the land value tax in November — beside everyday water bills, parking
fees, traffic fines, rents of city property and licence fees that come every day. Most are paid
before they fall due, at the counters their items allow; some expire unpaid. A few payments go
wrong on purpose, each labelled in its bill's description, so the exception queue has work; the
month-end store settlement files are reconciled. Departments pay out too: each payout batch is
made by the department's officer and, all but the newest, approved by an administrator.

Everything is drawn from one seeded generator: the same demo on every machine.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from smartcity.core.auth import Principal
from smartcity.core.time import as_utc, city_zone
from smartcity.core.uow import UnitOfWork
from smartcity.modules.payments import payouts, reconciliation, service
from smartcity.modules.payments.models import Bill
from smartcity.modules.payments.reconciliation import settlement_files
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import PayoutPurpose, SettlementFormat

DAYS = 365
PROVIDERS_BY_CHANNEL = {
    "store": ("711", "FAMI", "HILIFE", "OKMART", "POST"),
    "bank": ("BOT", "TFB", "LAND", "POST"),
    "card": ("BOT", "TFB"),
    "wallet": ("LINEPAY", "JKOPAY", "EASYWALLET", "TWPAY"),
}
CHANNEL_WEIGHTS = {"store": 5, "bank": 3, "card": 2, "wallet": 3}
VEHICLE_TAX_BANDS = (2_160, 4_320, 7_120, 11_230, 15_210)
"""The licence tax of private cars by engine size (up to 1.2 l … 3.0 l), NTD a year."""


@dataclass(frozen=True)
class EverydayFee:
    """A fee billed on ordinary days: how often, how much, to whom, and how often it is paid."""

    item: str
    chance: float
    """That one bill of it is issued on a day it is billed."""
    amounts: tuple[int, ...]
    """What one bill may be, drawn evenly."""
    due_days: int
    text: str
    share: float
    """Of its bills paid."""
    payer: str = "plate"
    """`plate` (a random car's) or an account number's pattern: `{day}` is the issue day and
    `{serial}` a random number below `serials`."""
    serials: int = 0
    weekdays: bool = True
    """Billed on working days only (at counters), or every day (on the street)."""


EVERYDAY_FEES = (
    EverydayFee(
        "DOF-DEP01",
        0.12,
        tuple(n * 10_000 for n in range(5, 40)),
        10,
        "市有房地標售保證金",
        0.9,
        "BID-{day:%y%m%d}-{serial:02d}",
        100,
    ),
    EverydayFee(
        "DOF-FEE03",
        0.25,
        tuple(n * 500 for n in range(2, 30)),
        30,
        "公有房地占用費",
        0.8,
        "OCC-{serial:05d}",
        10**5,
    ),
    EverydayFee("APO-FEE01", 0.2, (1_000,), 14, "寵物登記費", 0.95),
    EverydayFee("DOH-FEE01", 0.15, (500,), 14, "食品業者登錄費", 0.95, "FOOD-{serial:05d}", 10**5),
    EverydayFee("PMO-FEE01", 0.5, (20, 30, 40, 60, 80, 120), 14, "路邊停車費", 0.9, weekdays=False),
    EverydayFee("DOT-FINE01", 0.3, (900,), 30, "違規停車罰鍰", 0.85, weekdays=False),
    EverydayFee("DOT-FINE02", 0.15, (2_700,), 30, "闖紅燈罰鍰", 0.8, weekdays=False),
)
"""The everyday fees, in the order they are drawn each day."""


@dataclass(frozen=True)
class PlannedBatch:
    """A department's payout batch of the history."""

    department: str
    name: str
    days_ago: int
    amount: int
    """Paid to each payee."""
    payees: int


PAYOUT_BATCHES = (
    PlannedBatch("DOE", "低收入戶學生助學金（上學期）", 300, 5_000, 8),
    PlannedBatch("DSW", "中低收入老人生活津貼", 120, 3_879, 10),
    PlannedBatch("DOE", "低收入戶學生助學金（下學期）", 95, 5_000, 8),
    PlannedBatch("DSW", "急難救助金", 2, 10_000, 4),
)
"""Oldest first; the newest still awaits its second person, work for the console."""


@dataclass(frozen=True)
class PlannedBill:
    """A bill of the history and what became of it."""

    item: str
    amount: int
    issued: date
    due: date
    payer: dict[str, str]
    description: str
    paid_on: date | None
    """None: never paid (it expires)."""
    twice: bool = False
    """Paid twice (a labelled duplicate)."""
    paid_amount: int | None = None
    """Paid a different amount (a labelled exception)."""


@dataclass
class History:
    """What the generator made: bills, payments and settlement files."""

    bills: int = 0
    payments: int = 0
    settlements: int = 0
    by_department: dict[str, int] = field(default_factory=dict)


def _roc(year: int) -> int:
    """The Republic of China year bills are written in."""
    return year - 1911


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"{''.join(rng.choice(letters) for _ in range(3))}-{rng.randrange(1000, 9999)}"


def _paid_on(rng: random.Random, issued: date, due: date, share: float, today: date) -> date | None:
    """When the payer paid: most pay towards the due date; `1 - share` never do."""
    if rng.random() > share:
        return None
    span = max((due - issued).days, 1)
    day = issued + timedelta(days=round(rng.triangular(0, span, span * 0.8)))
    return day if day < today else None


def _season(today: date, start: date, month: int, day: int) -> Iterator[tuple[date, date]]:
    """(issue day, due day) of a yearly season that falls inside the history."""
    for year in (start.year, start.year + 1):
        due = date(year, month, day)
        issued = due.replace(day=1) - timedelta(days=7)
        if start <= issued < today:
            yield issued, due


def plan(today: date, seed: int = 2026) -> list[PlannedBill]:
    """The year before `today`, bill by bill (deterministic for a seed)."""
    rng = random.Random(seed)  # noqa: S311  # demo data, not a secret
    start = today - timedelta(days=DAYS)
    bills: list[PlannedBill] = []

    def add(
        item: str,
        amount: int,
        issued: date,
        due: date,
        payer: dict[str, str],
        text: str,
        share: float,
    ) -> None:
        bills.append(
            PlannedBill(
                item, amount, issued, due, payer, text, _paid_on(rng, issued, due, share, today)
            )
        )

    for issued, due in [*_season(today, start, 4, 30), *_season(today, start, 10, 31)]:
        half = "上期" if due.month == 4 else "下期"
        for _ in range(30):
            add(
                "TRSO-TAX03",
                rng.choice(VEHICLE_TAX_BANDS) // 2,
                issued,
                due,
                {"plate": _plate(rng)},
                f"{_roc(due.year)}年{half}使用牌照稅",
                0.93,
            )
    for issued, due in _season(today, start, 5, 31):
        for index in range(40):
            amount = round(rng.lognormvariate(8.6, 0.6))
            add(
                "TRSO-TAX01",
                amount,
                issued,
                due,
                {"account_number": f"H-{index:03d}-{rng.randrange(10**6):06d}"},
                f"{_roc(due.year)}年房屋稅",
                0.94,
            )
    for issued, due in _season(today, start, 11, 30):
        for index in range(30):
            amount = round(rng.lognormvariate(8.9, 0.9))
            add(
                "TRSO-TAX02",
                amount,
                issued,
                due,
                {"account_number": f"L-{index:03d}-{rng.randrange(10**6):06d}"},
                f"{_roc(due.year)}年地價稅",
                0.92,
            )
    tenants = [f"DOF-R{index:03d}" for index in range(12)]
    rents = {tenant: rng.randrange(8, 60) * 1_000 for tenant in tenants}
    accounts = [f"2-13-0{rng.randrange(10**5):05d}-{rng.randrange(10)}" for _ in range(24)]
    day = start
    while day < today:
        if day.day == 1:
            for tenant in tenants:
                add(
                    "DOF-FEE01",
                    rents[tenant],
                    day,
                    day + timedelta(days=14),
                    {"account_number": tenant},
                    f"{_roc(day.year)}年{day.month}月市有房地租金",
                    0.97,
                )
            if day.month % 2 == 1:
                ended = day - timedelta(days=1)
                began = (ended.replace(day=1) - timedelta(days=1)).replace(day=1)
                period = f"{_roc(began.year)}年{began.month}-{ended.month}月水費"
                for account in accounts:
                    amount = rng.randrange(280, 1_400)
                    add(
                        "TWD-FEE01",
                        amount,
                        day,
                        day + timedelta(days=20),
                        {"account_number": account},
                        period,
                        0.96,
                    )
        for fee in EVERYDAY_FEES:
            if (fee.weekdays and day.weekday() >= 5) or rng.random() >= fee.chance:
                continue
            if fee.payer == "plate":
                payer = {"plate": _plate(rng)}
            else:
                serial = rng.randrange(fee.serials)
                payer = {"account_number": fee.payer.format(day=day, serial=serial)}
            add(
                fee.item,
                rng.choice(fee.amounts),
                day,
                day + timedelta(days=fee.due_days),
                payer,
                fee.text,
                fee.share,
            )
        day += timedelta(days=1)
    return [*bills, *_exceptions(rng, today)]


def _exceptions(rng: random.Random, today: date) -> list[PlannedBill]:
    """Payments that went wrong, each named so in its bill: the exception queue's work."""
    issued = today - timedelta(days=40)
    due = today - timedelta(days=12)
    paid = today - timedelta(days=15)
    return [
        PlannedBill(
            "TRSO-TAX01",
            6_480,
            issued,
            due,
            {"account_number": "H-900-000001"},
            "房屋稅（示範案例：超商與行動支付重複繳納，待退款）",
            paid,
            twice=True,
        ),
        PlannedBill(
            "TWD-FEE01",
            486,
            issued,
            due,
            {"account_number": "2-13-099999-1"},
            "水費（示範案例：溢繳 100 元）",
            paid,
            paid_amount=586,
        ),
        PlannedBill(
            "DOT-FINE01",
            900,
            issued,
            due,
            {"plate": _plate(rng)},
            "違規停車罰鍰（示範案例：少繳，罰鍰不可分期）",
            paid,
            paid_amount=600,
        ),
        PlannedBill(
            "DOF-FEE01",
            24_000,
            issued,
            due,
            {"account_number": "DOF-R900"},
            "市有房地租金（示範案例：逾期後才繳）",
            today - timedelta(days=3),
        ),
    ]


def _channel(rng: random.Random, channels: list[str], amount: int) -> str:
    usable = [c for c in channels if c in CHANNEL_WEIGHTS and (c != "store" or amount <= 20_000)]
    return rng.choices(usable, [CHANNEL_WEIGHTS[c] for c in usable])[0]


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randrange(8, 22), rng.randrange(60)), city_zone())


def load(uow: UnitOfWork, settings: PaymentsSettings, today: date, seed: int = 2026) -> History:
    """Issue, pay and settle the year before `today` in the caller's unit of work."""
    rng = random.Random(seed + 1)  # noqa: S311  # demo data, not a secret
    history = History()
    items: dict[str, list[str]] = {}
    store_lines: dict[tuple[int, int], list[tuple[Bill, int, date]]] = {}
    for planned in plan(today, seed):
        bill = service.issue_bill(
            uow,
            settings,
            item_code=planned.item,
            amount=planned.amount,
            due_date=planned.due,
            payer=planned.payer,
            description=planned.description,
            today=planned.issued,
        )
        bill.created_at = _moment(rng, planned.issued)
        history.bills += 1
        history.by_department[bill.department] = history.by_department.get(bill.department, 0) + 1
        if planned.paid_on is None:
            continue
        channels = items.setdefault(
            planned.item, list(service.get_item(uow.session, planned.item).channels)
        )
        amount = planned.paid_amount or planned.amount
        payers = 2 if planned.twice else 1
        used: set[str] = set()
        for _ in range(payers):
            channel = _channel(rng, [c for c in channels if c not in used], amount)
            used.add(channel)
            provider = rng.choice(PROVIDERS_BY_CHANNEL[channel])
            service.post_payment(
                uow,
                provider,
                service.PaymentRequest(
                    reference=bill.write_off_number,
                    amount=amount,
                    channel=channel,
                    provider_txn_id=f"{provider}-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}",
                    paid_at=_moment(rng, planned.paid_on),
                ),
            )
            history.payments += 1
            if provider == "711":
                month = (planned.paid_on.year, planned.paid_on.month)
                store_lines.setdefault(month, []).append((bill, amount, planned.paid_on))
    service.expire_overdue(uow, today)
    this_month = (today.year, today.month)
    # This month's file has not come yet.
    files = [month for month in sorted(store_lines)[-4:] if month != this_month]
    for month in files:
        lines = store_lines[month]
        if month == files[-1]:
            # The newest file leaves out one of the Department of Finance's payments: a
            # finding for the README's officer to look into.
            forgotten = next((line for line in lines if line[0].department == "DOF"), None)
            lines = [line for line in lines if line is not forgotten]
        records = [
            settlement_files.fixed_record(
                paid_on,
                paid_on,
                bill.write_off_number,
                amount,
                service.barcode_of(bill, settings).segments[2][:4],
                "711",
                "0" * 14,
            )
            for bill, amount, paid_on in lines
        ]
        reconciliation.reconcile(uow, "711", "\n".join(records) + "\n", SettlementFormat.FIXED)
        history.settlements += 1
    return history


@contextmanager
def _acting_as(uow: UnitOfWork, person: Principal) -> Iterator[None]:
    # A batch is made and decided by people (maker–checker), so the demo's transaction acts,
    # for that step only, as the demo staff who would have done it.
    loader = uow.actor
    uow.actor = person
    try:
        yield
    finally:
        uow.actor = loader


def pay_out(
    uow: UnitOfWork,
    today: date,
    makers: dict[str, Principal],
    approver: Principal,
    payees: Sequence[str],
) -> int:
    """The departments' payout batches (`PAYOUT_BATCHES`) of the citizens `payees` (ids; the
    first is paid in every batch, the others in turn), made by `makers` (an officer per
    department) and approved by `approver`; returns how many."""
    made = 0
    for number, planned in enumerate(PAYOUT_BATCHES, start=1):
        maker = makers.get(planned.department)
        if maker is None or not payees:
            continue
        others = [payees[(number * 7 + i) % len(payees)] for i in range(planned.payees - 1)]
        chosen = [payees[0], *others]
        when = as_utc(
            datetime.combine(today - timedelta(days=planned.days_ago), time(10), city_zone())
        )
        with _acting_as(uow, maker):
            batch = payouts.create_batch(
                uow,
                planned.department,
                planned.name,
                PayoutPurpose.SUBSIDY,
                [(citizen, planned.amount) for citizen in dict.fromkeys(chosen)],
            )
        batch.created_at = when
        if number < len(PAYOUT_BATCHES):
            with _acting_as(uow, approver):
                payouts.approve_batch(uow, batch.id)
            batch.decided_at = when + timedelta(days=1)
        made += 1
    return made
