"""The payments officer's work in a real browser, on the demo city as `make run` serves it (with
its job worker): a bill file issued with a progress bar, a late payment posted onto the bill it
was meant for, and a settlement finding closed with a reason.

The README's officer (officer.dof) works for the Department of Finance: the demo gives them a
rent paid after its bill expired (in the exception queue) and a store settlement file that
left out one of their payments.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from smartcity.core.time import local_today
from tests.support.browser import NewPage, Shot

pytestmark = pytest.mark.browser

PASSWORD = "demo1234"
OFFICER = "officer.dof@demo.city"
LATE_RENT = "NT$24,000"
IMPORT_SECONDS = 120


def _sign_in(page: Page) -> None:
    page.goto("/login")
    page.locator("#login").fill(OFFICER)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url(re.compile(r"/staff$"))


def test_officer_imports_a_bill_file_and_follows_it_to_the_end(
    new_page: NewPage, shot: Shot, tmp_path: Path
) -> None:
    page = new_page(viewport={"width": 390, "height": 844})
    _sign_in(page)
    page.goto("/staff/payments/bills")
    page.get_by_text("以 CSV 檔批次開立帳單").click()
    expect(page.get_by_role("link", name="下載範例檔")).to_be_visible()
    due = (local_today() + timedelta(days=30)).isoformat()
    lines = [
        f"DOF-FEE03,{1_000 + n},{due},account_number,OCC-{n:05d},公有房地占用費" for n in range(240)
    ]
    lines.insert(10, f"DOF-FEE03,abc,{due},account_number,OCC-99999")  # line 12: no amount
    lines.insert(100, f"DOT-FINE01,900,{due},plate,ABC-1234")  # line 102: another department's
    file = tmp_path / "占用費.csv"
    file.write_text(
        "item_code,amount,due_date,payer_kind,payer_value,description\n" + "\n".join(lines),
        encoding="utf-8",
    )
    page.locator("input[type=file][name=file]").set_input_files(file)
    page.get_by_role("button", name="上傳並開立").click()
    page.wait_for_url(re.compile(r"/staff/payments/imports/[0-9a-f-]+$"))
    expect(page.locator("progress")).to_have_attribute("max", "242")
    shot(page, "1-progress")

    # The page follows the job worker by itself, to the end.
    expect(page.locator("#import-progress [role=status]")).to_have_text(
        "已完成。", timeout=IMPORT_SECONDS * 1000
    )
    expect(page.locator("[data-field=done]")).to_have_text("242 / 242")
    expect(page.locator("[data-field=issued]")).to_have_text("240")
    expect(page.locator("[data-field=rejected]")).to_have_text("2")
    refused = page.locator("#import-progress tbody tr")
    expect(refused).to_have_count(2)
    expect(refused.nth(0).locator("td").first).to_have_text("12")
    expect(refused.nth(1).locator("td").first).to_have_text("102")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot(page, "2-finished")

    # The file stays listed with the bills (their file form open), and uploading it again
    # issues nothing twice.
    page.get_by_role("link", name="回到帳單").click()
    expect(page.get_by_role("link", name="占用費.csv")).to_be_visible()
    page.locator("input[type=file][name=file]").set_input_files(file)
    page.get_by_role("button", name="上傳並開立").click()
    page.wait_for_url(re.compile(r"/staff/payments/imports/[0-9a-f-]+$"))
    expect(page.locator("[data-field=issued]")).to_have_text("240")


def test_officer_posts_a_late_payment_onto_the_bill_it_was_meant_for(
    new_page: NewPage, shot: Shot
) -> None:
    page = new_page()
    _sign_in(page)
    # The rent was paid after its bill expired: the officer issues the tenant's bill again…
    page.goto("/staff/payments/bills")
    page.get_by_text("開立帳單", exact=True).click()
    page.locator("select[name=item_code]").select_option("DOF-FEE01")
    page.locator("input[name=amount]").fill("24000")
    page.locator("select[name=payer_kind]").select_option("account_number")
    page.locator("input[name=payer_value]").fill("DOF-R900")
    page.locator("input[name=description]").fill("市有房地租金（逾期後重開）")
    page.get_by_role("button", name="開立", exact=True).click()
    page.wait_for_url(re.compile(r"/staff/payments/bills/[0-9a-f-]+$"))
    bill_url = page.url
    reference = page.get_by_role("heading", level=1).inner_text().rsplit("·", 1)[1].strip()

    # … and posts the late payment onto it from the exception queue.
    page.goto("/staff/payments/exceptions")
    row = page.locator("tbody tr", has_text=LATE_RENT)
    expect(row).to_have_count(1)
    row.get_by_text("處理", exact=True).click()
    row.get_by_label("正確帳單的銷帳編號").fill(reference)
    row.get_by_label("轉入其他帳單的原因").fill("承租人逾期繳納，轉入重開帳單")
    shot(page, "1-exception")
    row.get_by_role("button", name="轉入其他帳單").click()
    page.wait_for_url(re.compile(r"/staff/payments/exceptions$"))
    expect(page.locator("tbody tr", has_text=LATE_RENT)).to_have_count(0)
    shot(page, "2-queue")

    page.goto(bill_url)
    expect(page.get_by_test_id("bill-status")).to_have_text(re.compile("^(已繳|已銷帳)$"))


def test_officer_accepts_a_settlement_finding_with_a_reason(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    _sign_in(page)
    page.goto("/staff/payments/settlements")
    listed = page.locator("tbody tr", has_text="本平臺有紀錄，清算檔未列")
    expect(listed).to_have_count(1)
    listed.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/staff/payments/settlements/[0-9a-f-]+$"))
    finding = page.locator("tbody tr[id^=finding-]", has_text="本平臺有紀錄，清算檔未列")
    expect(finding).to_have_count(1)
    finding.get_by_text("處理", exact=True).click()
    finding.get_by_label("接受的原因").fill("超商確認款項併入次月清算檔")
    shot(page, "1-finding")
    finding.get_by_role("button", name="照現況接受").click()
    page.wait_for_url(re.compile(r"/staff/payments/settlements/[0-9a-f-]+(#finding-\d+)?$"))
    closed = page.locator("tbody tr[id^=finding-]", has_text="本平臺有紀錄，清算檔未列")
    expect(closed).to_contain_text("已接受")
    expect(closed).to_contain_text("超商確認款項併入次月清算檔")
    shot(page, "2-accepted")
