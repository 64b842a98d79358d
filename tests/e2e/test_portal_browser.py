"""The portal in a real browser: Debian's Chromium driven by Playwright.

The server and browser fixtures (`portal`, `new_page`, `shot`) come from tests/support/browser.py:
one demo city per module, every test in its own browser context (own cookies), in Traditional
Chinese unless it says otherwise; screenshots in test-artifacts/screenshots/<test>-<step>.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from tests.support.browser import NewPage, Portal, Shot

pytestmark = pytest.mark.browser

CITIZEN = "A123456789"
OFFICER = "officer.dof@demo.city"
PASSWORD = "demo1234"
NEW_PLATE = "XYZ-5678"
PHONE = {"width": 390, "height": 844}

HOME_ZH = "一次登入，所有市政服務"
HOME_EN = "One login for every city service"


# Every form control that is not hidden, and those of them nobody can name.
UNLABELLED_CONTROLS = """() => {
  const controls = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden');
  const unnamed = controls.filter((el) => !(el.labels && el.labels.length > 0)
    && !(el.getAttribute('aria-label') || '').trim()
    && !(el.getAttribute('aria-labelledby') || '').trim());
  return {ids: controls.map((el) => el.id || el.name),
          unnamed: unnamed.map((el) => el.outerHTML)};
}"""


# -- helpers ---------------------------------------------------------------------------


def _submit_sign_in(page: Page, login: str, password: str) -> None:
    """Fill and send the sign-in form the page shows (zh-Hant)."""
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="登入", exact=True).click()


def _sign_in(page: Page, login: str, lands_on: str) -> None:
    page.goto("/login")
    expect(page).to_have_url(re.compile(r"/oauth/authorize\?"))
    _submit_sign_in(page, login, PASSWORD)
    page.wait_for_url(re.compile(rf"^https?://[^/]+{re.escape(lands_on)}$"))


def _cookie_names(page: Page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def _h1(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def _posted_binding(response: Response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/me/bindings")


def _add_invalid_plate(page: Page) -> tuple[Response, int]:
    """On /me/bindings, send `not a plate!` through the HTMX form; wait for htmx to finish.

    Returns the server's answer and how many binding rows there were before.
    """
    page.goto("/me/bindings")
    before = page.locator("#bindings tr[data-binding]").count()
    page.evaluate("""() => {
      window.__e2eRequestDone = false;
      document.body.addEventListener('htmx:afterRequest',
        () => { window.__e2eRequestDone = true; }, {once: true});
    }""")
    form = page.locator("#add-binding")
    form.locator("#kind").select_option("plate")
    form.locator("#value").fill("not a plate!")
    with page.expect_response(_posted_binding) as answer:
        form.get_by_role("button", name="新增綁定").click()
    page.wait_for_function("window.__e2eRequestDone === true")
    return answer.value, before


# -- tests -----------------------------------------------------------------------------


def test_citizen_adds_plate_binding(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    page.goto("/login")
    expect(page.locator("#login")).to_be_visible()
    shot(page, "1-sign-in")

    _submit_sign_in(page, CITIZEN, PASSWORD)
    page.wait_for_url(re.compile(r"/me$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-TW")
    expect(_h1(page)).to_have_text("我的服務")
    expect(page.locator("main")).to_contain_text("王小明")
    assert "sc_session" in _cookie_names(page)
    shot(page, "2-my-services")

    page.get_by_role("link", name="我的綁定").click()
    page.wait_for_url(re.compile(r"/me/bindings$"))
    expect(_h1(page)).to_have_text("我的綁定")
    rows = page.locator("#bindings tr[data-binding]")
    expect(rows.first).to_be_visible()
    before = rows.count()
    new_row = page.locator(f'#bindings tr[data-binding="{NEW_PLATE}"]')
    expect(new_row).to_have_count(0)
    shot(page, "3-bindings")

    # A full page load would wipe this variable and navigate the main frame.
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    page.evaluate("window.__e2eMarker = 'no reload'")
    form = page.locator("#add-binding")
    form.locator("#kind").select_option("plate")
    form.locator("#value").fill(NEW_PLATE)
    form.locator("#label").fill("測試車")
    with page.expect_response(_posted_binding) as answer:
        form.get_by_role("button", name="新增綁定").click()
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true"

    expect(new_row).to_be_visible()
    expect(new_row.locator(".state")).to_have_text("審核中")
    expect(new_row.locator(".state")).to_have_class(re.compile(r"\bstate-pending\b"))
    expect(new_row).to_contain_text("車牌")
    expect(new_row).to_contain_text("測試車")
    expect(rows).to_have_count(before + 1)
    assert page.evaluate("window.__e2eMarker") == "no reload"
    assert navigations == []
    # /static/app.js empties the form once htmx reports success (no inline handler: the CSP).
    expect(form.locator("#value")).to_have_value("")
    expect(form.locator("#label")).to_have_value("")
    assert page.url.endswith("/me/bindings")
    shot(page, "4-added")

    page.reload()
    assert page.evaluate("window.__e2eMarker") is None  # a real reload does clear it
    expect(new_row).to_be_visible()
    expect(new_row.locator(".state")).to_have_text("審核中")
    expect(rows).to_have_count(before + 1)
    shot(page, "5-reloaded")


def test_invalid_plate_is_refused_and_adds_no_row(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    _sign_in(page, CITIZEN, "/me")
    response, before = _add_invalid_plate(page)

    assert response.status == 422
    assert 'role="alert"' in response.text()  # the server does send the message
    expect(page.locator("#bindings tr[data-binding]")).to_have_count(before)
    expect(page.locator('tr[data-binding="not a plate!"]')).to_have_count(0)
    assert page.url.endswith("/me/bindings")
    shot(page, "refused")

    page.reload()
    expect(page.locator("#bindings tr[data-binding]")).to_have_count(before)
    expect(page.locator('tr[data-binding="not a plate!"]')).to_have_count(0)


def test_invalid_plate_shows_alert(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    _sign_in(page, CITIZEN, "/me")
    _response, before = _add_invalid_plate(page)
    shot(page, "after-submit")

    alert = page.locator("#bindings").get_by_role("alert")
    expect(alert).to_be_visible(timeout=3_000)
    expect(alert).not_to_have_text("")
    expect(page.locator("#bindings tr[data-binding]")).to_have_count(before)


def test_wrong_password_is_refused(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    page.goto("/login")
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/oauth/authorize" in r.url
    ) as answer:
        _submit_sign_in(page, CITIZEN, "not-the-password")
    assert answer.value.status == 401

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("帳號或密碼不正確。")
    expect(page.locator("#login")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#login")).to_have_attribute("aria-describedby", "login-error")
    expect(page.locator("#password")).to_be_visible()
    names = _cookie_names(page)
    assert "sc_session" not in names
    assert "sc_login" not in names
    shot(page, "refused")

    page.goto("/me")  # still signed out
    expect(page).to_have_url(re.compile(r"/oauth/authorize\?"))
    assert "sc_session" not in _cookie_names(page)


def test_language_switch(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-Hant-TW")
    expect(_h1(page)).to_have_text(HOME_ZH)
    shot(page, "1-chinese")

    english = page.get_by_role("button", name="English", exact=True)
    expect(english).to_have_attribute("lang", "en")
    english.click()
    expect(_h1(page)).to_have_text(HOME_EN)
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_title(re.compile(r"^Home · "))
    expect(page.get_by_role("navigation").get_by_role("link", name="Sign in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("sc_lang") == "en"
    shot(page, "2-english")

    page.goto("/")  # the choice sticks
    expect(_h1(page)).to_have_text(HOME_EN)

    page.get_by_role("button", name="繁體中文", exact=True).click()
    expect(_h1(page)).to_have_text(HOME_ZH)
    expect(html).to_have_attribute("lang", "zh-Hant-TW")
    expect(page.get_by_role("navigation").get_by_role("link", name="登入")).to_be_visible()
    shot(page, "3-chinese-again")


def _horizontal_overflow(page: Page) -> dict[str, int]:
    sizes: dict[str, int] = page.evaluate("""() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      bodyScrollWidth: document.body.scrollWidth,
    })""")
    return sizes


def _phone_page(new_page: NewPage) -> Page:
    # is_mobile honours <meta name=viewport>; a mobile layout viewport can grow to fit
    # content that overflows, so the checks also compare with the phone's own width.
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True)


def test_phone_pages_fit_the_screen(new_page: NewPage, shot: Shot) -> None:
    page = _phone_page(new_page)
    for step, path in (("home", "/"), ("sign-in", "/login")):
        page.goto(path)
        sizes = _horizontal_overflow(page)
        shot(page, step)
        assert sizes["scrollWidth"] <= min(sizes["innerWidth"], PHONE["width"]) + 1, (path, sizes)
    _submit_sign_in(page, CITIZEN, PASSWORD)
    page.wait_for_url(re.compile(r"/me$"))
    for step, path in (("me", "/me"), ("profile", "/me/profile")):
        page.goto(path)
        sizes = _horizontal_overflow(page)
        shot(page, step)
        assert sizes["scrollWidth"] <= min(sizes["innerWidth"], PHONE["width"]) + 1, (path, sizes)


def test_phone_bindings_page_has_no_horizontal_scroll(new_page: NewPage, shot: Shot) -> None:
    page = _phone_page(new_page)
    _sign_in(page, CITIZEN, "/me")
    page.goto("/me/bindings")
    expect(page.locator("#add-binding")).to_be_visible()
    shot(page, "bindings")
    sizes = _horizontal_overflow(page)
    # The table may scroll inside its own .table-wrap; the page itself must not.
    assert sizes["scrollWidth"] <= min(sizes["innerWidth"], PHONE["width"]) + 1, sizes


def test_officer_confirms_pending_binding(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    _sign_in(page, OFFICER, "/staff")
    expect(_h1(page)).to_have_text("同仁工作台")
    shot(page, "1-staff")

    page.get_by_role("link", name="綁定審核").click()
    page.wait_for_url(re.compile(r"/staff/bindings$"))
    expect(_h1(page)).to_have_text("綁定審核")
    rows = page.locator("main tbody tr")
    expect(rows.first).to_be_visible()  # the demo city has bindings waiting
    before = rows.count()
    chosen = rows.first
    value = chosen.locator("code").inner_text().strip()
    assert value
    shot(page, "2-pending")

    # The reviewer opens the request and sees the evidence before deciding.
    chosen.get_by_role("link", name=f"審核 {value}", exact=True).click()
    page.wait_for_url(re.compile(r"/staff/bindings/[0-9a-f-]+$"))
    expect(page.get_by_test_id("binding-value")).to_have_text(value)
    expect(page.locator("main")).to_contain_text("同一識別碼的其他綁定")
    shot(page, "3-evidence")
    with page.expect_response(lambda r: r.url.endswith("/decision")) as answer:
        page.get_by_role("button", name="確認", exact=True).click()
    assert answer.value.status == 303
    page.wait_for_url(re.compile(r"/staff/bindings$"))
    same_value = page.locator("main tbody tr code").filter(
        has_text=re.compile(rf"^\s*{re.escape(value)}\s*$")
    )
    expect(same_value).to_have_count(0)
    if before > 1:
        expect(rows).to_have_count(before - 1)
    else:
        expect(page.locator("main")).to_contain_text("目前沒有待審核的項目。")
    shot(page, "4-confirmed")


def test_sign_in_page_first_tab_reaches_skip_link(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/login")
    expect(page.locator("#login")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused(timeout=2_000)


def test_keyboard_skip_link_and_labels(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    page.goto("/login")
    sign_in_controls = page.evaluate(UNLABELLED_CONTROLS)
    assert {"login", "password"} <= set(sign_in_controls["ids"])
    assert sign_in_controls["unnamed"] == []

    _submit_sign_in(page, CITIZEN, PASSWORD)
    page.wait_for_url(re.compile(r"/me$"))
    page.goto("/me/bindings")
    expect(page.locator("#add-binding")).to_be_visible()

    # From the top of a page without autofocus, the first Tab lands on the skip link...
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("跳到主要內容")
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0  # and it shows itself when focused
    shot(page, "skip-link-focused")
    # ...which moves the focus to the main content.
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    controls = page.evaluate(UNLABELLED_CONTROLS)
    assert {"kind", "value", "label", "provider", "effective_from"} <= set(controls["ids"])
    assert controls["unnamed"] == []
    expect(page.locator("#value")).to_have_accessible_name("識別號碼")


def test_sign_out(new_page: NewPage, portal: Portal, shot: Shot) -> None:
    page = new_page()
    _sign_in(page, CITIZEN, "/me")
    session = {c["name"]: c["value"] for c in page.context.cookies()}["sc_session"]
    shot(page, "1-signed-in")

    page.get_by_role("button", name=re.compile(r"^登出")).click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    expect(_h1(page)).to_have_text(HOME_ZH)
    expect(page.get_by_role("navigation").get_by_role("link", name="登入")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^登出"))).to_have_count(0)
    assert "sc_session" not in _cookie_names(page)
    shot(page, "2-signed-out")

    page.goto("/me")
    expect(page).to_have_url(re.compile(r"/oauth/authorize\?"))
    expect(page.locator("#password")).to_be_visible()
    shot(page, "3-me-asks-to-sign-in")

    # The old cookie is dead on the server too, not just forgotten by the browser.
    replay = new_page()
    replay.context.add_cookies([{"name": "sc_session", "value": session, "url": portal.url}])
    replay.goto("/me")
    expect(replay).to_have_url(re.compile(r"/oauth/authorize\?"))
