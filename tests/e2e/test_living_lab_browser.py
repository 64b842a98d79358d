"""The living lab's work, end to end in Debian's Chromium on a freshly loaded demo city.

The demo vendor drafts a proposal and reads the open challenges ranked for it with the reasons,
then follows its pilot; an officer of the office plans a milestone and marks it done later,
declares a KPI and records its value, and moves a pilot on — all in the browser, on a phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from smartcity.core.time import local_today
from smartcity.modules.identity import seed as identity_seed
from smartcity.modules.livinglab import seed as livinglab_seed
from tests.support.browser import NewPage, Shot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Ranking, embedding and demo pages wait on a shared, busy machine longer than the defaults.
ACTION_TIMEOUT_MS = 60_000
EXPECT_TIMEOUT_MS = 30_000
PLAYWRIGHT_EXPECT_DEFAULT_MS = 5_000


@pytest.fixture(autouse=True)
def _patient_expectations() -> Iterator[None]:
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    yield
    expect.set_options(timeout=PLAYWRIGHT_EXPECT_DEFAULT_MS)


@pytest.fixture
def open_page(new_page: NewPage) -> NewPage:
    def make(**options: Any) -> Page:
        page = new_page(viewport=PHONE, **options)
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        return page

    return make


def _sign_in(page: Page, login: str) -> None:
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(identity_seed.DEMO_PASSWORD)
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url(re.compile(r"/(me|staff|vendor)$"))


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_the_demo_vendor_reads_why_challenges_match_its_proposal(
    open_page: NewPage, shot: Shot
) -> None:
    page = open_page()
    _sign_in(page, livinglab_seed.DEMO_VENDOR_EMAIL)
    page.wait_for_url(re.compile(r"/vendor$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("聲紋科技")
    draft = page.locator("form[action='/vendor/proposals']")
    if not draft.is_visible():
        page.get_by_text("草擬提案").click()
    # An answer to the demo's open call for street lights that dim with the traffic.
    draft.locator("input[name=title]").fill("路燈聲響感測節能調光")
    draft.locator("textarea[name=summary]").fill(
        "在路燈加裝聲響感測器，依人車流量自動調整路燈亮度。燈具故障時自動回報維修。"
    )
    draft.locator("select[name=domain]").select_option("environment")
    draft.get_by_role("button", name="儲存草稿").click()
    page.wait_for_url(re.compile(r"/vendor/proposals/[0-9a-f-]+$"))
    expect(page.get_by_test_id("proposal-status")).to_have_text("草稿")

    ranked = page.get_by_test_id("challenge-matches").locator(":scope > li")
    expect(ranked.first).to_be_visible()
    assert ranked.count() >= 2
    best = ranked.first
    expect(best.locator("a[href^='/livinglab/challenges/']")).to_contain_text("智慧路燈節能調光")
    expect(best).to_contain_text("文字相近")  # the words both texts use
    expect(best).to_contain_text("同領域")  # the challenge is in the proposal's domain
    _fits(page)
    shot(page, "1-ranked")

    page.goto("/vendor")
    page.locator("main h2:text-is('我們的實證案') + ul a").first.click()
    page.wait_for_url(re.compile(r"/staff/livinglab/pilots/[0-9a-f-]+$"))
    expect(page.get_by_test_id("pilot-state")).to_be_visible()
    expect(page.get_by_role("link", name="← 廠商工作區")).to_be_visible()
    _fits(page)
    shot(page, "2-pilot")


def test_an_officer_marks_a_milestone_done_later_and_records_a_kpi(
    open_page: NewPage, shot: Shot
) -> None:
    page = open_page()
    _sign_in(page, identity_seed.DEMO_ADMIN_EMAIL)
    page.goto("/livinglab?state=running")
    page.locator("main tbody a[href^='/livinglab/pilots/']").first.click()
    pilot = page.url.rsplit("/", 1)[1]
    page.goto(f"/staff/livinglab/pilots/{pilot}")

    plan = page.locator("form[action$='/milestones']")
    plan.locator("input[name=title]").fill("場域設備驗收")
    plan.locator("input[name=due_on]").fill((local_today() + timedelta(days=14)).isoformat())
    plan.get_by_role("button", name="新增里程碑", exact=True).click()
    planned = page.get_by_test_id("milestone").filter(has_text="場域設備驗收")
    expect(planned).to_contain_text("規劃中")
    shot(page, "1-planned")

    # Later: it was done yesterday, and the officer says how.
    planned.get_by_text("標記為完成").click()
    done_on = (local_today() - timedelta(days=1)).isoformat()
    planned.locator("input[name=done_on]").fill(done_on)
    planned.locator("textarea[name=note]").fill("廠商與學校共同驗收，四台設備皆上線")
    planned.get_by_role("button", name="記錄完成").click()
    done = page.get_by_test_id("milestone").filter(has_text="場域設備驗收")
    expect(done.get_by_test_id("milestone-done")).to_have_text(f"已完成 {done_on}")
    expect(done).to_contain_text("四台設備皆上線")
    expect(done.get_by_text("標記為完成")).to_have_count(0)
    shot(page, "2-done")

    declare = page.locator("form[action$='/kpis']")
    page.get_by_text("宣告績效指標").click()
    declare.locator("input[name=name]").fill("通報完成率")
    declare.locator("input[name=unit]").fill("%")
    declare.locator("input[name=baseline]").fill("60")
    declare.locator("input[name=target]").fill("90")
    declare.get_by_role("button", name="宣告", exact=True).click()
    row = page.locator("main tbody tr", has_text="通報完成率")
    row.locator("input[name=value]").fill("92.5")
    row.get_by_role("button", name="記錄", exact=True).click()
    expect(
        page.locator("main tbody tr", has_text="通報完成率").get_by_test_id("kpi-now")
    ).to_have_text("92.5")
    _fits(page)
    shot(page, "3-kpi")

    page.goto(f"/livinglab/pilots/{pilot}")
    expect(page.locator("main")).to_contain_text(f"場域設備驗收 · 已完成 {done_on}")
    shot(page, "4-public")
