"""chatbot test helpers: a small FAQ in the city's XML format, and a stand-in LINE server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.chatbot import importer, service
from tests.support.standin import StandInServer

FAQ = [
    (
        "GIP_1001",
        "臺北市政府社會局",
        "如何申請育兒津貼？",
        "<p>請持身分證及戶口名簿至<b>區公所</b>申請。</p>"
        '<a href="https://example.gov.taipei/allowance" target="_blank">線上申請</a>',
        "育兒津貼,區公所",
    ),
    (
        "GIP_1002",
        "臺北市政府衛生局",
        "流感疫苗在哪裡可以接種？",
        "<div>可至各區健康服務中心或合約院所接種。</div>",
        "流感疫苗",
    ),
    (
        "GIP_1003",
        "臺北市政府警察局交通警察大隊",
        "交通違規罰單如何繳納？",
        "可至超商或監理站繳納罰鍰。",
        "交通違規,罰單",
    ),
    ("GIP_1004", "臺北市稅捐稽徵處", "房屋稅什麼時候開徵？", "每年5月1日至5月31日開徵。", "房屋稅"),
    (
        "GIP_1005",
        "臺北市政府環境保護局",
        "大型廢棄物如何預約清運？",
        "請撥打1999預約清潔隊到府清運大型家具。",
        "大型廢棄物,清潔隊",
    ),
    (
        "GIP_1006",
        "臺北市政府民政局",
        "戶籍謄本如何申請？",
        "本人攜帶身分證至任一戶政事務所申請。",
        "戶籍謄本",
    ),
    (
        "GIP_1007",
        "臺北市某某基金會",
        "保母托育費用有補助嗎？",
        "送托登記有案之居家保母可申請托育補助。",
        "托育補助,保母",
    ),
    (
        "GIP_1008",
        "臺北市政府都市發展局",
        "社會住宅如何申請？",
        "依各案招租公告申請，符合所得標準者抽籤入住。",
        "社會住宅",
    ),
]


def faq_xml(records: list[tuple[str, str, str, str, str]] = FAQ) -> bytes:
    """A small file in the exact shape of the city's FAQ open data."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?><xmlmessage><datas>']
    for data_id, dept, title, content, keyword in records:
        parts.append(
            f"<data><deptName>{escape(dept)}</deptName><data_id>{data_id}</data_id>"
            f"<post_date>2015-01-06 00:00:00</post_date><news_title>{escape(title)}</news_title>"
            f"<news_content>{escape(content)}</news_content>"
            f"<start_date>2015-01-06 09:19:00</start_date><end_date>2100-10-21 23:59:00</end_date>"
            f"<keyword>{escape(keyword)}</keyword><link/><link>      </link></data>"
        )
    parts.append("</datas></xmlmessage>")
    return "".join(parts).encode()


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    path = tmp_path / "faq.xml"
    path.write_bytes(faq_xml())
    return path


@pytest.fixture
def loaded(platform: Platform) -> Platform:
    """The platform with the small FAQ imported."""
    with platform.unit_of_work(system_actor("test")) as uow:
        service.import_records(uow, importer.parse_taipei_faq_xml(faq_xml()))
    return platform


class StandIn(StandInServer):
    """A stand-in for LINE's reply endpoint, on 127.0.0.1 in a thread."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.gate: threading.Event | None = None
        self.received = threading.Event()
        super().__init__()

    def answer(self, path: str, headers: Message, body: bytes) -> tuple[int, str, bytes]:
        self.requests.append(
            {"path": path, "auth": headers.get("authorization"), "body": json.loads(body or b"{}")}
        )
        self.received.set()
        if self.gate is not None:
            self.gate.wait(10)
        status = self.statuses.pop(0) if self.statuses else 200
        return status, "application/json", b"{}"

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        super().close()


@pytest.fixture
def line_server() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()
