"""The demo city in a real browser: a served portal and Debian's Chromium, for browser tests.

Registered for every test through `pytest_plugins` in tests/conftest.py. `portal` serves the
demo city (`smartcity db upgrade` and `demo load` once per session, `serve` once per test module
on a copy) as subprocesses on a free port; `chromium` launches Debian's Chromium through
Playwright; `new_page` opens a page in a fresh context (own cookies, Traditional Chinese by
default); `shot` saves full-page screenshots to test-artifacts/screenshots/<test>-<step>.png.
A test module that defines `prepare_portal(data_dir, url)` has it called on the loaded demo
city before the server starts (to store data the demo does not have).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.ports import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("SMARTCITY_TEST_CHROMIUM", "/usr/bin/chromium")
# The machine has no network: without these flags Chromium stalls on refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 180
# Loading the demo and starting the server take seconds of CPU; on a shared, busy machine, minutes.
DEMO_LOAD_SECONDS = 600
CLI = [sys.executable, "-m", "smartcity"]

NewPage = Callable[..., Page]
Shot = Callable[[Page, str], None]


# -- the server ------------------------------------------------------------------------


@dataclass
class Portal:
    url: str
    log_path: Path


def _server_env(data_dir: Path, url: str) -> dict[str, str]:
    # Nothing from the outer SMARTCITY_* environment (a PostgreSQL URL, say) leaks in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMARTCITY_")}
    src = str(PROJECT_ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH", "")]))
    env.update(
        {
            "SMARTCITY_DATA_DIR": str(data_dir),
            "SMARTCITY_ENVIRONMENT": "demo",
            "SMARTCITY_BASE_URL": url,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _caught_up(data_dir: Path, log_path: Path) -> bool:
    """Whether the worker beside the server has run the jobs due when it started.

    A copy's first worker start catches up on its schedules and events (late days passed
    again, texts embedded): a test starts once that is done, so every page it reads shows
    settled state rather than whichever half of the catch-up had landed.
    """
    if "looked for due jobs" not in log_path.read_text(encoding="utf-8", errors="replace"):
        return False
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    with closing(sqlite3.connect(f"file:{data_dir / 'smartcity.db'}?mode=ro", uri=True)) as db:
        (waiting,) = db.execute(
            "SELECT count(*) FROM core_jobs WHERE state = 'running'"
            " OR (state = 'queued' AND run_after <= ?)",
            (now,),
        ).fetchone()
    return bool(waiting == 0)


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(f"{url}/healthz", timeout=1) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the demo city loaded, made once: each portal serves a copy.

    Loading the demo is most of a portal's start-up; the copies keep the modules apart.
    """
    data_dir = tmp_path_factory.mktemp("demo-city")
    env = _server_env(data_dir, "http://127.0.0.1")
    # The jobs the demo queued (embeddings, above all) run once here, not in every copy's worker.
    for step in (["db", "upgrade"], ["demo", "load"], ["jobs", "run-ready"]):
        done = subprocess.run(
            [*CLI, *step],
            cwd=data_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEMO_LOAD_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"`smartcity {' '.join(step)}` failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}",
                pytrace=False,
            )
    return data_dir


@pytest.fixture(scope="module")
def portal(
    demo_city: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Portal]:
    """The demo city served on a free port from a fresh copy of its data directory."""
    data_dir = tmp_path_factory.mktemp("portal")
    shutil.copytree(demo_city, data_dir, dirs_exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_env(data_dir, url)
    prepare = getattr(request.module, "prepare_portal", None)
    if prepare is not None:
        prepare(data_dir, url)
    log_path = data_dir / "server.log"
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (_healthy(url) and _caught_up(data_dir, log_path)):
            if server.poll() is not None or time.monotonic() > deadline:
                log_text = log_path.read_text(encoding="utf-8", errors="replace")
                print(f"--- smartcity server log ---\n{log_text}")
                pytest.fail(
                    f"the server did not come up on {url} (exit code {server.poll()}):"
                    f"\n{log_text[-5000:]}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield Portal(url, log_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# -- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM} (apt install chromium, or set SMARTCITY_TEST_CHROMIUM)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Browser, portal: Portal) -> Iterator[NewPage]:
    """Opens a page in a fresh context (no cookies); Traditional Chinese by default."""
    contexts = []

    def make(**options: Any) -> Page:
        options.setdefault("locale", "zh-TW")
        context = chromium.new_context(base_url=portal.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """Saves a full-page screenshot as test-artifacts/screenshots/<test>-<step>.png."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(page: Page, step: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{test_name}-{step}.png", full_page=True)

    return take
