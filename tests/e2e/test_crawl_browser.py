"""Every page each role can reach, on a phone, in Chinese: it answers 200, fits 390 px and shows
no untranslated message or raw code.

As each role (ROLES: add a role with its sign-in and landing pages), Chromium follows every
same-origin link from the home page and the role's landing pages, breadth first, at most
`PER_SHAPE` pages of one shape (ids and numbers stand for one another) and `PER_ROLE` pages in
all. What counts as untranslated or raw (`_problems_in_text`):
- a whole text of the page that is an English message id of a catalogue whose Chinese differs;
- an audit action or event name (`payments.bill.issued`);
- a whole text that is a snake_case code (`under_review`) or a department's, provider's,
  device owner's or vendor's code (`DOF`, `LINEPAY`, `V-AUDIO`);
- a list of channel codes (`bank, card, wallet`).
Screenshots of each role's home and main pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from smartcity.modules.identity import seed as identity_seed
from smartcity.modules.livinglab import seed as livinglab_seed
from tests.support.browser import NewPage, Portal, Shot

pytestmark = pytest.mark.browser

PASSWORD = identity_seed.DEMO_PASSWORD
PHONE = {"width": 390, "height": 844}
PER_SHAPE = 2
PER_ROLE = 45
SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
# Not pages for people: downloads, machine documents, and actions behind links.
SKIPPED = re.compile(
    r"^/(static|api|sta|oauth|openapi\.json|logout|lang|docs)(/|$)|\.(csv|json|svg|geojson|pdf|zip)$"
)


@dataclass(frozen=True)
class Role:
    name: str
    login: str | None
    landings: tuple[str, ...]
    """The role's main pages: the crawl starts from them after the home page, and keeps their
    screenshots and the home page's."""


ROLES = (
    Role(
        "anonymous",
        None,
        (
            "/",
            "/transparency",
            "/opendata",
            "/opendata/dataset/airbox-readings",
            "/opendata/dataset/parking-availability",
            "/livinglab/elsewhere",
        ),
    ),
    Role(
        "citizen",
        identity_seed.DEMO_CITIZEN_ID,
        ("/me", "/me/payments", "/me/record", "/me/bindings", "/livinglab"),
    ),
    Role(
        "officer",
        "officer.dof@demo.city",
        ("/staff", "/staff/payments", "/staff/livinglab", "/staff/bindings", "/staff/airquality"),
    ),
    Role(
        "admin",
        identity_seed.DEMO_ADMIN_EMAIL,
        (
            "/staff",
            "/staff/audit",
            "/staff/livinglab",
            "/staff/invitations",
            "/staff/opendata/harvest",
        ),
    ),
    Role("vendor", livinglab_seed.DEMO_VENDOR_EMAIL, ("/vendor", "/livinglab/challenges")),
)


# -- what counts as untranslated ---------------------------------------------------------------


def _english_ids() -> set[str]:
    """Message ids whose Chinese differs: seen as they are, they were not translated."""
    ids: set[str] = set()
    for po_file in SRC.rglob("locales/zh_Hant/LC_MESSAGES/messages.po"):
        with po_file.open("rb") as handle:
            for message in read_po(handle, locale="zh_Hant"):
                if message.id and message.string and message.string != message.id:
                    ids.add(str(message.id))
    return ids


def _organisation_codes() -> set[str]:
    groups = (
        identity_seed.DEPARTMENTS,
        identity_seed.PROVIDERS,
        identity_seed.DEVICE_OWNERS,
        identity_seed.VENDORS,
    )
    # A code that is part of a name people read (LASS in LASS 環境感測網路社群) is no finding.
    names = " ".join(name for group in groups for _code, name, *_english in group)
    return {code for group in groups for code, *_names in group if not code.isdigit()} - {
        code for code in (c for group in groups for c, *_n in group) if code in names
    }


ENGLISH_IDS = _english_ids()
SNAKE_DOTTED = re.compile(r"^[a-z]+\.[a-z]+(?:_[a-z]+)*$")
CODES = _organisation_codes()
CODES_SEEN = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True)) + r")(?![\w-])"
)
DOTTED = re.compile(r"(?<![\w@/.:-])[a-z]+(?:_[a-z]+)*(?:\.[a-z]+(?:_[a-z]+)*){2,}(?![\w@/-]|\.\w)")
SNAKE = re.compile(r"^[a-z]+(?:_[a-z]+)+$")
# Ids a page builds from a value (_("stage." ~ issue.stage)): one the catalogue lacks shows as
# it is, under a prefix that other ids of the catalogue share.
BUILT_IDS = re.compile(
    r"^(?:"
    + "|".join(sorted({re.escape(i.split(".")[0]) for i in ENGLISH_IDS if SNAKE_DOTTED.match(i)}))
    + r")\.[a-z]+(?:_[a-z]+)*$"
)
CHANNELS = re.compile(
    r"\b(?:store|bank|card|wallet|autopay)(?:\s*,\s*(?:store|bank|card|wallet|autopay))+\b"
)

# The visible texts of the page: each text node's trimmed text, outside <pre> (verbatim
# documents such as a signed checkpoint), <script>/<style> and elements marked
# data-technical (identifiers staff quote to each other, such as an object's type and id).
VISIBLE_TEXTS = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !parent || !parent.checkVisibility()) continue;
    if (parent.closest('pre, script, style, noscript, [data-technical]')) continue;
    texts.push(text);
  }
  return texts;
}"""

OVERFLOW = """() => ({width: document.documentElement.scrollWidth, viewport: window.innerWidth,
  widest: [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-3).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))})"""


def _problems_in_text(text: str) -> list[str]:
    found = []
    if text in ENGLISH_IDS:
        found.append(f"untranslated: {text!r}")
    elif BUILT_IDS.match(text):
        found.append(f"message id without a translation: {text!r}")
    for name in DOTTED.findall(text):
        found.append(f"event name: {name!r}")
    if SNAKE.match(text):
        found.append(f"raw state: {text!r}")
    for code in CODES_SEEN.findall(text):
        found.append(f"raw code: {code!r}")
    if CHANNELS.search(text):
        found.append(f"channel codes: {text!r}")
    return found


def test_problems_are_recognised() -> None:
    assert _problems_in_text("Amount") and _problems_in_text("payments.bill.issued")
    assert _problems_in_text("under_review") and _problems_in_text("LINEPAY")
    assert _problems_in_text("stage.someday")
    assert _problems_in_text("王小明 · DOF")
    assert _problems_in_text("bank, card, wallet")
    for fine in ("officer.dof@demo.city", "金額", "NT$1,200", "127.0.0.1/transparency", "PM2.5"):
        assert not _problems_in_text(fine), fine


# -- the crawl -----------------------------------------------------------------------------


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def add(self, path: str, kind: str, what: str) -> None:
        finding = f"{path}: {kind}: {what}"
        if finding not in self.problems:
            self.problems.append(finding)


def _shape(path: str) -> str:
    # Any path segment or value with a digit in it (an id, a device, a date) is a placeholder.
    return re.sub(r"[0-9A-Za-z_-]*\d[0-9A-Za-z_-]*", "#", path)


def _sign_in(page: Page, login: str) -> None:
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url(re.compile(r"/(me|staff|vendor)$"))


def _links(page: Page, origin: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIPPED.search(parts.path):
            found.append(path)
    return found


def _check(page: Page, path: str, findings: Findings) -> None:
    size = page.evaluate(OVERFLOW)
    if size["width"] > size["viewport"]:
        findings.add(
            path, "overflow", f"{size['width']} px > {size['viewport']} px {size['widest']}"
        )
    for text in page.evaluate(VISIBLE_TEXTS):
        for problem in _problems_in_text(text):
            kind, _, what = problem.partition(": ")
            findings.add(path, kind, what)


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_every_reachable_page_fits_a_phone_in_chinese(
    role: Role, new_page: NewPage, portal: Portal, shot: Shot
) -> None:
    page = new_page(viewport=PHONE)
    if role.login:
        _sign_in(page, role.login)
    findings = Findings()
    queue = deque(["/", *role.landings])
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    while queue and len(findings.visited) < PER_ROLE:
        path = queue.popleft()
        shape = _shape(path)
        if path in seen or shapes.get(shape, 0) >= PER_SHAPE:
            continue
        seen.add(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        answer = page.goto(path)
        findings.visited.append(path)
        if answer is None or answer.status != 200:
            findings.add(path, "status", str(answer.status if answer else "no answer"))
            continue
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-TW")
        _check(page, path, findings)
        if path in ("/", *role.landings):
            shot(page, re.sub(r"[^a-z0-9]+", "-", path).strip("-") or "home")
        queue.extend(link for link in _links(page, portal.url) if link not in seen)
    assert len(findings.visited) >= len(role.landings)
    assert not findings.problems, "\n".join(
        [f"{len(findings.problems)} findings on {len(findings.visited)} pages:", *findings.problems]
    )


# -- a person's own entries, checked by their browser ----------------------------------------


def test_my_record_is_verified_in_the_browser_and_a_forged_proof_is_not(
    new_page: NewPage, shot: Shot
) -> None:
    page = new_page(viewport=PHONE)
    _sign_in(page, identity_seed.DEMO_CITIZEN_ID)
    page.goto("/me/record")
    entries = page.locator(".entry[data-leaf-index]")
    expect(entries.first).to_be_visible()  # signing in is an entry of what the citizen did
    expect(page.locator(".entry:not([data-verified])")).to_have_count(0, timeout=20_000)
    expect(page.locator('.entry[data-verified="yes"]')).to_have_count(entries.count())
    expect(entries.first.locator(".verdict")).to_contain_text("已驗證")
    shot(page, "verified")

    def forge(route) -> None:  # type: ignore[no-untyped-def]
        answer = route.fetch()
        body = answer.json()
        body["leaf_hash"] = "A" * 43 + "="  # another leaf's hash than the entry's bytes give
        route.fulfill(response=answer, json=body)

    page.route("**/api/v1/transparency/proof/inclusion*", forge)
    page.reload()
    expect(page.locator(".entry:not([data-verified])")).to_have_count(0, timeout=20_000)
    expect(page.locator('.entry[data-verified="no"]')).to_have_count(entries.count())
    expect(entries.first.locator(".verdict")).to_contain_text("驗證失敗")
