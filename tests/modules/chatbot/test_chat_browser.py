"""The home page's chat widget in a real browser (Debian's Chromium driven by Playwright).

The demo city is served and Chromium launched by the fixtures of tests/support/browser.py;
the widget is on the home page through the chatbot manifest's `home_partial`.
Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import NewPage, Shot

pytestmark = pytest.mark.browser


def test_a_question_asked_in_the_home_page_widget_is_answered(
    new_page: NewPage, shot: Shot
) -> None:
    page: Page = new_page()
    page.goto("/")
    widget = page.locator("section.chat")
    expect(widget).to_be_visible()
    question = widget.get_by_label("您的問題")
    question.fill("寶寶的育兒津貼要怎麼申請")
    with page.expect_response(lambda r: r.url.endswith("/chat/ask")) as posted:
        widget.locator("button[type=submit]").click()
    assert posted.value.status == 200
    log = page.locator("#chat-log")
    # A turn lands in the log in place (HTMX): the question, the item and its answer.
    expect(log.locator(".chat-q")).to_contain_text("寶寶的育兒津貼要怎麼申請")
    expect(log.locator(".chat-a")).to_contain_text("如何申請育兒津貼")
    expect(log.locator(".chat-a")).to_contain_text("區公所")
    assert urlparse(page.url).path == "/"  # the page never left home
    shot(page, "answered")

    # Feedback on that answer is taken in place too.
    with page.expect_response(lambda r: r.url.endswith("/chat/feedback")) as sent:
        log.get_by_role("button", name="有幫助", exact=True).first.click()
    assert sent.value.status < 400

    # Something the city does not answer is declined with the helpline.
    question.fill("明天東京會下雪嗎")
    widget.locator("button[type=submit]").click()
    expect(log.locator(".chat-turn").last).to_contain_text("1999")
    expect(log.locator(".chat-turn").last.locator(".chat-a")).to_have_count(0)
    shot(page, "declined")
