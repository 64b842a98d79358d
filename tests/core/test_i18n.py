"""Every text a template shows has a Traditional Chinese translation; English is one switch away."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from smartcity.app import WEB
from smartcity.core.i18n import SHELL_DOMAIN, Catalogues
from smartcity.core.pages import PageRenderer
from smartcity.core.platform import Platform
from smartcity.core.registry import catalogue_dir

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
_TEXT = re.compile(r"""\bN?_\(\s*(?:"([^"]+)"|'([^']+)')\s*[,)]""")


def _used_texts(folders: list[Path]) -> set[str]:
    texts: set[str] = set()
    for folder in folders:
        for path in [*folder.rglob("*.html"), *folder.rglob("*.py"), *folder.rglob("*.svg")]:
            for match in _TEXT.finditer(path.read_text(encoding="utf-8")):
                texts.add(match.group(1) or match.group(2))
    return texts


def _catalogues(platform: Platform) -> Catalogues:
    return Catalogues(
        {SHELL_DOMAIN: WEB / "locales"}
        | {m.name: folder for m in platform.modules if (folder := catalogue_dir(m)) is not None}
    )


def test_every_text_has_a_chinese_translation_in_its_own_catalogue(platform: Platform) -> None:
    catalogues = _catalogues(platform)
    sources = {SHELL_DOMAIN: [SRC / "web", SRC / "core"]} | {
        m.name: [SRC / "modules" / m.name] for m in platform.modules
    }
    missing = {}
    for domain, folders in sources.items():
        chinese = catalogues.gettext("zh_Hant", domain)
        texts = _used_texts(folders)
        assert texts, domain
        gaps = sorted(text for text in texts if chinese.gettext(text) == text)
        if gaps:
            missing[domain] = gaps
    assert not missing, (
        f"texts without a zh_Hant translation in their module's catalogue: {missing}"
    )


def _catalogue(folder: Path, translations: dict[str, str]) -> Path:
    po = folder / "zh_Hant" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    entries = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in translations.items())
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + entries,
        encoding="utf-8",
    )
    return folder


def test_each_module_keeps_its_own_translation_of_a_shared_word(tmp_path: Path) -> None:
    catalogues = Catalogues(
        {
            SHELL_DOMAIN: _catalogue(tmp_path / "web", {"Home": "首頁", "Name": "名字"}),
            "identity": _catalogue(tmp_path / "identity", {"Name": "姓名"}),
            "sensors": _catalogue(tmp_path / "sensors", {"Name": "名稱"}),
            "alerts": _catalogue(tmp_path / "alerts", {"Time": "時間"}),
        }
    )
    assert catalogues.gettext("zh_Hant", "identity").gettext("Name") == "姓名"
    assert catalogues.gettext("zh_Hant", "sensors").gettext("Name") == "名稱"
    assert catalogues.gettext("zh_Hant", "alerts").gettext("Name") == "名字"
    assert catalogues.gettext("zh_Hant", SHELL_DOMAIN).gettext("Name") == "名字"
    assert catalogues.gettext("zh_Hant", SHELL_DOMAIN).gettext("Time") == "Time"
    assert catalogues.gettext("zh_Hant", "sensors").gettext("Home") == "首頁"
    assert catalogues.translator("zh_Hant")("identity", "Name") == "姓名"


def test_a_sensor_page_names_its_columns_in_its_own_words(platform: Platform) -> None:
    pages: PageRenderer = platform.services["pages"]
    assert pages.translator("zh_Hant", "identity")("Name") == "姓名"
    assert pages.translator("zh_Hant", "sensors")("Name") != "姓名"
    assert pages.translator("zh_Hant", "payments")("Name") != "姓名"


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


_AUDITED = re.compile(r"""\.audit\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_every_audited_action_has_a_name_people_read(platform: Platform) -> None:
    from smartcity.web import transparency

    catalogues = _catalogues(platform)
    actions = {
        match.group(1)
        for path in SRC.rglob("*.py")
        for match in _AUDITED.finditer(path.read_text(encoding="utf-8"))
    }
    assert len(actions) > 50
    for locale in ("zh_Hant", "en"):
        names = catalogues.translator(locale)
        unnamed = sorted(a for a in actions if names(transparency.domain_of(a), a) == a)
        assert not unnamed, f"audit actions without a {locale} name: {unnamed}"
    names = catalogues.translator("zh_Hant")
    assert transparency.name_of("payments.bill.issued", names) == "開立帳單"
    assert transparency.name_of("nobody.thing.done", names) == "一筆異動"


def test_every_module_s_name_is_a_text_translated_like_the_others(platform: Platform) -> None:
    """A module's title is shown where people choose among modules (the transparency log's
    filter): in Chinese on a Chinese page, in English on an English one, never both."""
    catalogues = _catalogues(platform)
    for module in platform.modules:
        chinese = catalogues.gettext("zh_Hant", module.name).gettext(module.title)
        english = catalogues.gettext("en", module.name).gettext(module.title)
        assert re.search(r"[\u4e00-\u9fff]", chinese), module.name
        assert not re.search(r"[\u4e00-\u9fff]", english), module.name
