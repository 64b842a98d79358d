"""Links in answers are web, phone or mail links only; the FAQ XML never expands a DTD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from smartcity.cli import build_cli
from smartcity.core.auth import Role, system_actor
from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform
from smartcity.modules.chatbot import importer, line, links, service
from smartcity.modules.chatbot.models import Item
from tests.conftest import Actors, bearer

BAD_LINKS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://",
    "//evil.example/",
    "file:///etc/passwd",
]
GOOD_LINKS = [
    "https://www.gov.taipei/",
    "http://example.gov.taipei/a?b=1",
    "tel:1999",
    "tel:+886-2-2720-8889",
    "mailto:service@mail.taipei.gov.tw",
]


@pytest.mark.parametrize("url", BAD_LINKS)
def test_other_schemes_are_refused(url: str) -> None:
    assert not links.is_allowed(url)


@pytest.mark.parametrize("url", GOOD_LINKS)
def test_web_phone_and_mail_links_are_kept(url: str) -> None:
    assert links.is_allowed(url)


def _jsonl(*rows: dict[str, object]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def test_a_jsonl_link_of_another_scheme_is_refused_with_its_line(tmp_path: Path) -> None:
    good = {"question": "如何申請？", "answer": "上網申請。", "links": [{"url": GOOD_LINKS[0]}]}
    bad = {
        "question": "點我",
        "answer": "看連結",
        "links": [{"title": "申請", "url": "javascript:alert(1)"}],
    }
    with pytest.raises(InvalidInput) as refused:
        importer.parse_jsonl(_jsonl(good, {**good, "links": [{"url": "tel:1999"}]}, bad))
    assert refused.value.code == "link_refused"
    assert refused.value.detail.startswith("line 3:")
    assert "javascript:alert(1)" in refused.value.detail


def test_the_cli_import_refuses_the_file_and_writes_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, platform: Platform
) -> None:
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", database_url)
    path = tmp_path / "items.jsonl"
    path.write_bytes(
        _jsonl(
            {"question": "第一題", "answer": "答"},
            {"question": "第二題", "answer": "答", "links": [{"url": "javascript:alert(1)"}]},
        )
    )
    result = CliRunner().invoke(build_cli(), ["chatbot", "import", "--format", "jsonl", str(path)])
    assert result.exit_code != 0
    assert "line 2" in result.stderr and "link_refused" in result.stderr
    with platform.db.read_session() as session:
        assert service.count_items(session) == 0


def test_the_api_refuses_such_links(client: TestClient, actors: Actors) -> None:
    admin = bearer(actors.token(Role.ADMIN))
    body = {"question": "問題", "answer": "答案", "links": [{"url": "javascript:alert(1)"}]}
    created = client.post("/api/v1/chatbot/items", json=body, headers=admin)
    assert created.status_code == 422
    ok = {**body, "links": [{"title": "市民熱線", "url": "tel:1999"}]}
    created = client.post("/api/v1/chatbot/items", json=ok, headers=admin)
    assert created.status_code == 201, created.text
    item_id = created.json()["item_id"]
    patched = client.patch(
        f"/api/v1/chatbot/items/{item_id}",
        json={"links": [{"url": "data:text/html,x"}]},
        headers=admin,
    )
    assert patched.status_code == 422


def test_a_link_stored_before_the_rule_is_never_shown(
    platform: Platform, client: TestClient
) -> None:
    with platform.unit_of_work(system_actor("test")) as uow:
        item = service.create_item(
            uow,
            question="舊資料的連結在哪裡？",
            answer="請看連結。",
            links=[{"title": "官網", "url": "https://www.gov.taipei/"}],
        )
        item_id = item.id
    with platform.db.write_session() as session, session.begin():
        # As a row written before links were checked would be.
        session.execute(
            update(Item)
            .where(Item.id == item_id)
            .values(
                links=[
                    {"title": "官網", "url": "https://www.gov.taipei/"},
                    {"title": "點我", "url": "javascript:alert(1)"},
                ],
                kb_seq=Item.kb_seq + 1000,
            )
        )
    page = client.get(f"/chat/items/{item_id}")
    assert page.status_code == 200
    assert "https://www.gov.taipei/" in page.text
    assert "javascript:" not in page.text and "點我" not in page.text
    doc = service.answer_item(platform, str(item_id))
    answer = service.Answer(doc.question, service.Outcome.ANSWERED, 1.0, item=doc)
    assert "javascript:" not in line.answer_messages(answer)[0]["text"]


FAQ_WITH_ENTITY = (
    '<?xml version="1.0" encoding="{encoding}"?>'
    '<!DOCTYPE xmlmessage [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    "<xmlmessage><datas><data><data_id>GIP_1</data_id>"
    "<news_title>&lol2;</news_title><news_content>答</news_content></data></datas></xmlmessage>"
)
PLAIN_FAQ = (
    '<?xml version="1.0" encoding="{encoding}"?>'
    "<xmlmessage><datas><data><data_id>GIP_1</data_id>"
    "<news_title>如何申請？</news_title><news_content>答</news_content></data></datas></xmlmessage>"
)
ENCODINGS = [
    ("UTF-8", "utf-8", b""),
    ("UTF-8", "utf-8", b"\xef\xbb\xbf"),
    ("UTF-16", "utf-16-le", b"\xff\xfe"),
    ("UTF-16", "utf-16-be", b"\xfe\xff"),
    ("UTF-16", "utf-16-le", b""),
    ("UTF-16", "utf-16-be", b""),
]


@pytest.mark.parametrize(("declared", "codec", "bom"), ENCODINGS)
def test_a_dtd_is_refused_in_every_encoding(declared: str, codec: str, bom: bytes) -> None:
    raw = bom + FAQ_WITH_ENTITY.format(encoding=declared).encode(codec)
    with pytest.raises(InvalidInput) as refused:
        importer.parse_taipei_faq_xml(raw)
    assert refused.value.code == "xml_doctype"
    plain = bom + PLAIN_FAQ.format(encoding=declared).encode(codec)
    (record,) = importer.parse_taipei_faq_xml(plain)
    assert record.question == "如何申請？"


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-le", "utf-32-be"])
def test_utf32_is_refused_with_a_clear_reason(codec: str) -> None:
    for document in (FAQ_WITH_ENTITY, PLAIN_FAQ):
        with pytest.raises(InvalidInput) as refused:
            importer.parse_taipei_faq_xml(document.format(encoding="UTF-32").encode(codec))
        assert refused.value.code == "unsupported_encoding"
