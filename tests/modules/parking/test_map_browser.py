"""The public parking map in a real browser, on a phone's screen (Debian's Chromium).

The demo city is served by the fixtures of tests/support/browser.py; its profile's demo
segments are loaded with a few hours of occupancy. Screenshots land in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import NewPage, Shot

pytestmark = pytest.mark.browser


def test_the_map_shows_each_bay_coloured_and_fits_a_phone(new_page: NewPage, shot: Shot) -> None:
    page: Page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    response = page.goto("/parking")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text("路邊停車")
    bays = page.locator("svg.parking-map circle[data-bay]")
    expect(bays).to_have_count(24)
    statuses = set(bays.evaluate_all("nodes => nodes.map(n => n.dataset.status)"))
    assert statuses <= {"free", "occupied", "unknown"} and statuses
    colours = set(bays.evaluate_all("nodes => nodes.map(n => getComputedStyle(n).fill)"))
    assert len(colours) == len(statuses)  # one colour per status shown
    expect(page.locator("svg.parking-map .districts path").first).to_be_attached()
    rows = page.locator("tr[data-segment]")
    expect(rows).to_have_count(2)
    free_on_map = bays.evaluate_all(
        "nodes => nodes.filter(n => n.dataset.status === 'free').length"
    )
    free_in_table = sum(int(v) for v in page.locator("td[data-free]").all_inner_texts())
    assert free_on_map == free_in_table
    # Each segment's name and free bays are written on the map, inside it, even on a phone.
    labels = page.locator("svg.parking-map .labels text")
    expect(labels).to_have_count(2)
    for segment in page.locator("tr[data-segment]").all():
        code = segment.get_attribute("data-segment")
        free = segment.locator("td[data-free]").inner_text()
        expect(page.locator(f'svg.parking-map text[data-segment="{code}"]')).to_contain_text(
            f"空位 {free} / "
        )
    outside = page.evaluate(
        """() => {
          const map = document.querySelector("svg.parking-map").getBoundingClientRect();
          return [...document.querySelectorAll("svg.parking-map .labels text")]
            .map(t => t.getBoundingClientRect())
            .filter(r => r.left < map.left - 1 || r.right > map.right + 1).length;
        }"""
    )
    assert outside == 0, "a segment's label runs off the map"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    shot(page, "phone")
