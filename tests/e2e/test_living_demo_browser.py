"""The living demo in a real browser: after a fresh `demo load` and `serve`, the map shows the
devices' current readings, a device's page its PM2.5 over time, and the officer's console a
year of collections — at a desktop's width and a phone's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from smartcity.core.time import local_today
from tests.support.browser import NewPage, Shot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_map_and_a_sensor_show_current_readings(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    page.goto("/airquality")
    devices = page.locator("svg.aq-map g.aq-devices circle")
    assert devices.count() >= 30
    expect(page.locator("[data-no-recent-data]")).to_have_count(0)
    expect(page.locator("svg.aq-map g.aq-district-names text").first).to_be_visible()
    shot(page, "map")
    page.locator("svg.aq-map g.aq-devices a").first.click()
    page.wait_for_url(re.compile(r"/airquality/devices/"))
    history = page.locator("figure.aq-history")
    points = int(history.get_attribute("data-points") or 0)
    assert points >= 20  # the last day, hour by hour
    expect(history.locator("svg.chart text.chart-x").first).to_be_visible()
    expect(page.locator("[data-no-recent-data]")).to_have_count(0)
    shot(page, "sensor")
    page.get_by_role("link", name="最近 30 天").click()
    expect(page.locator("figure.aq-history svg.chart")).to_be_visible()
    shot(page, "sensor-month")


def test_the_map_fits_a_phone(new_page: NewPage, shot: Shot) -> None:
    page = new_page(viewport=PHONE)
    for path in ("/airquality", "/airquality?q=區"):
        page.goto(path)
        assert page.evaluate(OVERFLOW) <= 0, path
    shot(page, "map-search-phone")


def _sign_in(page: Page, login: str) -> None:
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill("demo1234")
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url(re.compile(r"/(me|staff)"))


def test_the_readme_officer_sees_a_year_of_collections(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    _sign_in(page, "officer.dof@demo.city")
    page.goto("/staff/payments")
    bars = page.locator("figure.flow-chart svg.chart rect[fill='#0b5cad']")
    assert bars.count() >= 7
    shot(page, "console-fortnight")
    year_ago = local_today() - timedelta(days=364)
    page.locator("input[name=start]").fill(year_ago.isoformat())
    page.get_by_role("button", name="顯示").click()
    chart = page.locator("figure.flow-chart")
    expect(chart).to_have_attribute("data-period", "month")
    assert chart.locator("svg.chart text.chart-x").count() >= 6
    shot(page, "console-year")
