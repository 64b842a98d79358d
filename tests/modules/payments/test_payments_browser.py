"""The citizen e-ledger and the department console in a real browser (Debian's Chromium).

The demo city (tests/support/browser.py) gives 王小明 (A123456789) open bills from several
departments, and a house tax paid twice (at 7-ELEVEN and in LINE Pay) whose second payment is
owed back. Paying goes through the built-in sandbox provider: its hosted page, then a signed
callback a moment later, like a real provider.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import NewPage, Shot

pytestmark = pytest.mark.browser

PASSWORD = "demo1234"
CITIZEN = "A123456789"
# Issued by the Taipei Revenue Service (TRSO) in the payments seed.
VEHICLE_TAX = "115年使用牌照稅"
CALLBACK_WAIT_SECONDS = 20


def _sign_in(page: Page, login: str, lands_on: str) -> None:
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url(re.compile(rf"{re.escape(lands_on)}$"))


def _status(page: Page) -> str:
    """The bill page's status, read from its facts list."""
    return page.locator("dl.facts dt:text-is('狀態') + dd").inner_text().strip()


def test_citizen_pays_a_bill_through_the_sandbox_provider(new_page: NewPage, shot: Shot) -> None:
    page = new_page(viewport={"width": 390, "height": 844})
    _sign_in(page, CITIZEN, "/me")
    page.goto("/me/payments")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的帳單與繳費")
    card = page.locator(".bill-list > li", has_text=VEHICLE_TAX)
    expect(card.locator(".state")).to_have_text("待繳")
    expect(card).to_contain_text("NT$11,230")
    shot(page, "1-e-ledger")

    card.get_by_role("link", name=VEHICLE_TAX.removeprefix("115年")).click()
    page.wait_for_url(re.compile(r"/me/payments/bills/[0-9a-f-]+$"))
    expect(page.locator("dl.facts dt:text-is('機關') + dd")).to_have_text("稅捐稽徵處")
    reference = page.locator("dl.facts dt:text-is('銷帳編號') + dd").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{16}", reference)
    # An open bill offers its TWQR code to scan and the three convenience-store barcodes,
    # each drawn as an image named by what it encodes.
    expect(page.locator(f'.qr svg[aria-label="TWQR {reference}"]')).to_be_visible()
    barcodes = page.locator(".barcodes svg[role=img]")
    expect(barcodes).to_have_count(3)
    assert barcodes.nth(1).get_attribute("aria-label") == reference
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot(page, "2-bill")

    page.get_by_role("link", name="繳費", exact=True).click()
    page.wait_for_url(re.compile(r"/payments/sandbox/[0-9a-f-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("沙盒付款頁")
    expect(page.locator("main")).to_contain_text("NT$11,230")
    shot(page, "3-hosted-page")

    page.get_by_role("button", name="確認付款").click()
    page.wait_for_url(re.compile(r"/me/payments/bills/[0-9a-f-]+\?pending=1$"))
    # The confirmation: sent (the page updates itself) or, if the callback was quick, paid.
    status = page.locator("#bill-status [role=status]")
    expect(status).to_contain_text(re.compile("付款已送出|已繳清"))
    expect(page.get_by_role("link", name="繳費", exact=True)).to_have_count(0)
    expect(page.locator(".qr")).to_have_count(0)
    shot(page, "4-sent")

    # The provider's signed callback arrives a moment later; the page shows it by itself.
    expect(status).to_contain_text("已繳清", timeout=CALLBACK_WAIT_SECONDS * 1000)
    page.reload()
    assert _status(page) in {"已繳", "已銷帳"}
    expect(page.locator("#bill-status")).to_contain_text("已繳清")
    expect(page.get_by_role("link", name="繳費", exact=True)).to_have_count(0)
    expect(page.locator(".qr")).to_have_count(0)
    expect(page.locator(".barcodes")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("沙盒支付（測試）")
    shot(page, "5-paid")

    page.locator("#bill-status").get_by_role("link", name=re.compile("收據")).click()
    page.wait_for_url(re.compile(r"/me/payments/receipts/[0-9a-f-]+$"))
    expect(page.locator(".receipt-number strong")).to_have_text(f"{reference}-01")
    expect(page.get_by_role("button", name="列印或存成 PDF")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot(page, "6-receipt")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".receipt-number")).to_be_visible()

    page.goto("/me/payments")
    card = page.locator(".bill-list > li", has_text=VEHICLE_TAX)
    expect(card.locator(".state")).to_have_text(re.compile("^(已繳|已銷帳)$"))
    expect(card.get_by_role("link", name=re.compile(r"NT\$11,230 · 沙盒支付"))).to_have_count(1)


def test_a_double_payment_is_queued_for_its_department_only(new_page: NewPage, shot: Shot) -> None:
    # The demo's labelled case: a house tax paid at a store and by a wallet.
    officer = new_page()
    _sign_in(officer, "officer.trso@demo.city", "/staff")
    officer.goto("/staff/payments/exceptions")
    queued = officer.locator("tbody tr", has_text="NT$6,480")
    expect(queued).to_have_count(1)
    reference = queued.locator("td").nth(1).inner_text().strip()
    shot(officer, "1-exception-queue")

    # Another department's officer does not see this department's exceptions.
    other = new_page()
    _sign_in(other, "officer.dof@demo.city", "/staff")
    other.goto("/staff/payments/exceptions")
    expect(other.locator("tbody tr", has_text=reference)).to_have_count(0)
