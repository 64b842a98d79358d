"""The home page's chat widget in a real browser (Debian's Chromium driven by Playwright).

Like tests/e2e/test_portal_browser.py: the demo city (`smartcity db upgrade`, `smartcity demo
load`) is served by `smartcity serve` as a subprocess, on a free port, from a fresh data
directory, and Chromium asks a question through the widget that the manifest's `home_partial`
puts on the home page. Screenshots land in test-artifacts/screenshots/chatbot-*.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("SMARTCITY_TEST_CHROMIUM", "/usr/bin/chromium")
# No network on the machine: without these flags Chromium waits on refused connections.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_SECONDS = 30


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _up(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/healthz", timeout=1) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo city on a free port; its URL."""
    data_dir = tmp_path_factory.mktemp("chat-portal")
    port = _port()
    url = f"http://127.0.0.1:{port}"
    # The outer SMARTCITY_* settings (a PostgreSQL URL, say) stay out of the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.update(
        SMARTCITY_DATA_DIR=str(data_dir),
        SMARTCITY_ENVIRONMENT="demo",
        SMARTCITY_BASE_URL=url,
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-m", "smartcity"]
    for step in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(
            [*command, *step], cwd=data_dir, env=env, capture_output=True, text=True, timeout=180
        )
        if done.returncode != 0:
            pytest.fail(f"smartcity {' '.join(step)}: {done.stdout}\n{done.stderr}", pytrace=False)
    log_path = data_dir / "server.log"
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not _up(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"no server on {url}:\n{log_path.read_text(errors='replace')[-4000:]}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (set SMARTCITY_TEST_CHROMIUM)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, site: str) -> Iterator[Page]:
    context = browser.new_context(base_url=site, locale="zh-TW")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _shot(page: Page, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"chatbot-{step}.png"), full_page=True)


def test_a_question_asked_in_the_home_page_widget_is_answered(page: Page) -> None:
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
    _shot(page, "answered")

    # Feedback on that answer is taken in place too.
    with page.expect_response(lambda r: r.url.endswith("/chat/feedback")) as sent:
        log.get_by_role("button", name="👍").first.click()
    assert sent.value.status < 400

    # Something the city does not answer is declined with the helpline.
    question.fill("明天東京會下雪嗎")
    widget.locator("button[type=submit]").click()
    expect(log.locator(".chat-turn").last).to_contain_text("1999")
    expect(log.locator(".chat-turn").last.locator(".chat-a")).to_have_count(0)
    _shot(page, "declined")
