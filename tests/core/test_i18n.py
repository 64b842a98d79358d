"""Every text a template shows has a Traditional Chinese translation; English is one switch away."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from smartcity.app import WEB
from smartcity.core.i18n import Catalogues
from smartcity.core.platform import Platform

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
_TEXT = re.compile(r"""\bN?_\(\s*(?:"([^"]+)"|'([^']+)')\s*[,)]""")


def _used_texts() -> set[str]:
    texts: set[str] = set()
    for path in [*SRC.rglob("*.html"), *SRC.rglob("*.py")]:
        for match in _TEXT.finditer(path.read_text(encoding="utf-8")):
            texts.add(match.group(1) or match.group(2))
    return texts


def test_every_text_has_a_chinese_translation(platform: Platform) -> None:
    folders = [WEB / "locales"] + [
        m.templates.parent / "locales" for m in platform.modules if m.templates
    ]
    chinese = Catalogues(folders).gettext("zh_Hant")
    texts = _used_texts()
    assert len(texts) > 50
    missing = sorted(text for text in texts if chinese.gettext(text) == text)
    assert not missing, f"texts without a zh_Hant translation: {missing}"


def test_chinese_first_english_on_request(client: TestClient) -> None:
    page = client.get("/")
    assert 'lang="zh-Hant-TW"' in page.text and "一次登入，所有市政服務" in page.text
    english = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert 'lang="en"' in english.text and "One login for every city service" in english.text
    switched = client.post(
        "/lang", data={"locale": "en", "back": "/transparency"}, follow_redirects=False
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/transparency"
    assert "Transparency log" in client.get("/transparency").text
    client.post("/lang", data={"locale": "zh_Hant", "back": "/"})
    assert "透明稽核紀錄" in client.get("/transparency").text


def test_language_switch_never_redirects_off_site(client: TestClient) -> None:
    response = client.post(
        "/lang", data={"locale": "en", "back": "//evil.example/"}, follow_redirects=False
    )
    assert response.headers["location"] == "/"
