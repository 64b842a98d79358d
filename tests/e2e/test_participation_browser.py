"""participation in a real browser on a 390 px phone: propose and second an issue, vote with a
ballot encrypted by the page's own script, find its tracker with "check my ballot", and read the
results after an officer's tally."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import NewPage, Shot

pytestmark = pytest.mark.browser

CITIZEN = "A123456789"
OFFICER = "officer.dot@demo.city"
PASSWORD = "demo1234"
PHONE = {"width": 390, "height": 844}
ZOO = "動物園夜間開放"
ARCHIVE = "/api/v1/participation/votes/"
BELENIOS_TOOL = shutil.which("belenios-tool")
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _sign_in(page: Page, login: str) -> None:
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url(re.compile(r"/(me|staff)$"))


def _fits(page: Page) -> None:
    assert page.evaluate(OVERFLOW) <= 0, f"{page.url} overflows a 390 px screen"


def test_a_citizen_proposes_an_issue_and_seconds_it_on_a_phone(
    new_page: NewPage, shot: Shot
) -> None:
    page = new_page(viewport=PHONE)
    _sign_in(page, CITIZEN)
    page.goto("/participation")
    _fits(page)
    page.get_by_role("link", name="提出議題").click()
    page.get_by_label("標題").fill("河濱增設飲水機")
    page.get_by_label("希望市府做什麼？為什麼？").fill("夏天在河濱跑步找不到飲水機。")
    page.get_by_role("button", name="提案", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("河濱增設飲水機")
    expect(page.locator(".seconds-count")).to_have_text("0")
    page.get_by_role("button", name="附議這個提案").click()
    expect(page.get_by_role("status")).to_contain_text("您的附議已計入")
    expect(page.locator(".seconds-count")).to_have_text("1")
    _fits(page)
    shot(page, "seconded")


def test_a_browser_encrypted_ballot_is_found_by_its_tracker_and_counted(
    new_page: NewPage, shot: Shot, tmp_path: Path
) -> None:
    page = new_page(viewport=PHONE)
    _sign_in(page, CITIZEN)
    page.goto("/participation")
    page.get_by_role("link", name=re.compile(ZOO)).click()
    issue_url = page.url
    page.get_by_role("link", name="投票", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ZOO)
    _fits(page)
    page.get_by_role("button", name="領取我的投票憑證").click()
    expect(page.locator("#credential")).to_have_value(
        re.compile(r"^[1-9A-HJ-NP-Za-km-z]{3}(-[1-9A-HJ-NP-Za-km-z]{3}){4}$")
    )
    page.get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="加密並投下選票").click()
    tracker = page.locator("#tracker")
    expect(tracker).to_have_text(re.compile(r"^[A-Za-z0-9+/]{43}$"), timeout=60_000)
    _fits(page)
    shot(page, "tracker")
    code = tracker.inner_text()
    page.get_by_role("link", name="查驗我的選票").click()
    expect(page.locator("#check-result")).to_contain_text("您的選票在公告板上")
    assert page.locator("#tracker").input_value() == code
    _fits(page)

    staff = new_page()
    _sign_in(staff, OFFICER)
    staff.goto("/staff/participation")
    card = staff.locator("li.card", has_text=ZOO)
    card.get_by_role("button", name="截止並開票").click()
    staff.wait_for_url(re.compile(r"/staff/participation$"))

    page.goto(issue_url)
    expect(page.get_by_role("heading", name="結果")).to_be_visible()
    expect(page.locator("svg.chart")).to_be_visible()
    expect(page.locator("ol.answers")).to_contain_text("同意: 1")
    _fits(page)
    shot(page, "results")

    # The record holding the browser's ballot verifies with the reference tool.
    if BELENIOS_TOOL is not None:
        archive = page.request.get(
            issue_url.replace("/participation/issues/", ARCHIVE) + "/archive"
        )
        name = archive.headers["content-disposition"].split('"')[1]
        (tmp_path / name).write_bytes(archive.body())
        verified = subprocess.run(
            [BELENIOS_TOOL, "election", "verify", "--dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert verified.returncode == 0, verified.stderr


def test_every_budget_page_and_the_console_fit_a_phone(new_page: NewPage, shot: Shot) -> None:
    page = new_page(viewport=PHONE)
    page.goto("/participation")
    links = page.locator("a[href^='/participation/budgets/']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) == 4
    for href in hrefs:
        page.goto(str(href))
        _fits(page)
    page.goto("/participation")
    page.locator("li.card", has_text="結果與執行").get_by_role("link").click()
    expect(page.locator("svg.chart")).to_be_visible()
    expect(page.get_by_text("完工驗收")).to_be_visible()
    _fits(page)
    shot(page, "budget")

    staff = new_page(viewport=PHONE)
    _sign_in(staff, "admin@demo.city")  # the demo budgets are DCA's, whose officer has no password
    staff.goto("/staff/participation")
    expect(staff.get_by_role("button", name="記錄審查結果").first).to_be_visible()
    _fits(staff)
    shot(staff, "console")
