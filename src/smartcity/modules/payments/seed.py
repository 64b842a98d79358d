"""payments' part of the demo city: the catalogue, providers, and a citizen's bills."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import insert

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Principal
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone, local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.payments import autopay, history, reconciliation, service
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Bill, Item, Provider
from smartcity.modules.payments.reconciliation import settlement_files
from smartcity.modules.payments.settings import PaymentsSettings
from smartcity.modules.payments.values import SettlementFormat

# The providers identity's demo seed creates, with their channels and a per-payment fee (NTD).
PROVIDERS = {
    "BOT": ("bank,card", 5),
    "TFB": ("bank,card", 5),
    "LAND": ("bank", 5),
    "POST": ("bank,store", 6),
    "711": ("store", 6),
    "FAMI": ("store", 6),
    "HILIFE": ("store", 6),
    "OKMART": ("store", 6),
    "LINEPAY": ("wallet", 3),
    "JKOPAY": ("wallet", 3),
    "EASYWALLET": ("wallet", 3),
    "TWPAY": ("wallet", 2),
    "SANDBOX": ("card,wallet,autopay", 0),
}
DEMO_CITIZEN = "A123456789"
DEMO_ADMIN = "admin@demo.city"
CAR_PARK = ("PMO-GATES", "停管處路外停車場閘門（示範）", "PMO", "PMO-PARK-OFFSTREET")
"""The demo's car park: a device owner whose gates report exits, the department running it
and the parking fee it bills."""


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Load the catalogue and providers, a year of the city's collections, then a few bills
    for the demo citizen."""
    session = uow.session
    rows = catalogue()
    session.execute(insert(Item), rows)
    for code, (channels, fee) in PROVIDERS.items():
        session.add(
            Provider(
                code=code,
                channels=channels.split(","),
                fee=fee,
                webhook_url="",
                webhook_secret=secrets.token_hex(32),
            )
        )
    session.flush()
    uow.audit("payments.catalogue.loaded", "catalogue", "demo", {"items": len(rows)})
    gates, name, department, item = CAR_PARK
    identity.ensure_organisation(uow, gates, OrganisationKind.DEVICE_OWNER, name)
    autopay.register_car_park(uow, gates, department, item)
    settings = service.settings_of(platform)
    today = local_today()
    history.load(uow, settings, today)
    _pay_out(uow, platform, today)
    citizen = identity.find_citizen(session, platform.keys, DEMO_CITIZEN)
    if citizen is None:
        return
    city = platform.settings.city_profile
    # Roadside parking in the city's first and second districts.
    parked = [f"{d.name_zh} 路邊停車" for d in (city.districts * 2)[:2]]
    bills = [
        ("TWD-FEE01", 486, {"account_number": "2-13-045678-9"}, "115年10-11月水費"),
        ("TRSO-TAX01", 8_120, {"citizen_id": str(citizen.id)}, "115年房屋稅"),
        ("TRSO-TAX03", 11_230, {"citizen_id": str(citizen.id)}, "115年使用牌照稅"),
        ("PMO-FEE01", 60, {"plate": "ABC-1234"}, parked[0]),
        ("DOT-FINE01", None, {"plate": "ABC-1234"}, "違規停車 警交字第A12345號"),
        ("DOE-TUI01", 6_360, {"citizen_id": str(citizen.id)}, "114學年度第二學期學費"),
    ]
    issued = []
    for index, (item, amount, payer, text) in enumerate(bills):
        issued.append(
            service.issue_bill(
                uow,
                settings,
                item_code=item,
                amount=amount,
                due_date=today + timedelta(days=10 + index * 5),
                payer=payer,
                description=text,
            )
        )
    # The house tax was paid at a store this morning: today's store file settles it.
    paid_at = utcnow() - timedelta(hours=2)
    service.record_payment(
        uow,
        "711",
        service.PaymentRequest(
            reference=issued[1].write_off_number,
            amount=issued[1].amount,
            channel="store",
            provider_txn_id="711-DEMO-0001",
            paid_at=paid_at,
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    _store_settlement(uow, settings, issued[1], paid_at, parked[1])
    methods = [b for b in identity.bindings_of(session, citizen.id) if b.kind == "payment_method"]
    if methods:
        autopay.bind_autopay(uow, settings, citizen.id, "ABC-1234", methods[0].id)


def _pay_out(uow: UnitOfWork, platform: Platform, today: date) -> None:
    """The history's payout batches, made by the demo's officers and approved by its admin."""
    session = uow.session

    def person(login: str) -> Principal | None:
        user = identity.find_login(session, platform.keys, login)
        if user is None:
            return None
        return identity.principal_for_user(
            session, user, scopes=frozenset({"*"}), credential="session"
        )

    approver = person(DEMO_ADMIN)
    makers = {
        code: maker
        for code in {batch.department for batch in history.PAYOUT_BATCHES}
        if (maker := person(f"officer.{code.lower()}@demo.city")) is not None
    }
    # The README's citizen first: their ledger shows the payouts they received.
    demo = identity.find_citizen(session, platform.keys, DEMO_CITIZEN)
    others = [str(c.id) for c in identity.citizens(session, search=None, limit=20)]
    payees = [str(demo.id), *others] if demo is not None else others
    if approver is not None:
        history.pay_out(uow, today, makers, approver, payees)


def _store_settlement(
    uow: UnitOfWork, settings: PaymentsSettings, paid_tax: Bill, paid_at: datetime, parked: str
) -> None:
    """7-ELEVEN's settlement file of the day, reconciled: the tax it collected (matched), a
    parking fee whose callback was lost (recorded from the file) and a line whose write-off
    number came garbled (unknown money, on the console's settlement page)."""
    day = paid_at.astimezone(city_zone()).date()
    lost = service.issue_bill(
        uow,
        settings,
        item_code="PMO-FEE01",
        amount=40,
        due_date=day + timedelta(days=14),
        payer={"plate": "RBC-5566"},
        description=parked,
    )
    number = lost.write_off_number
    garbled = number[:-1] + str((int(number[-1]) + 1) % 10)
    # A store record's due field is the bill's barcode segment 3 YYMM.
    lines = [
        (paid_tax.write_off_number, paid_tax.amount, paid_tax),
        (number, 40, lost),
        (garbled, 120, lost),
    ]
    records = [
        settlement_files.fixed_record(
            day,
            day,
            reference,
            amount,
            service.barcode_of(bill, settings).segments[2][:4],
            "711",
            "0" * 14,
        )
        for reference, amount, bill in lines
    ]
    reconciliation.reconcile(uow, "711", "\n".join(records) + "\n", SettlementFormat.FIXED)
