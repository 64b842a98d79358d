"""Readers of knowledge-base files: the city's FAQ open-data XML and our JSONL.

Both read the whole file into records first and raise `InvalidInput` naming the record at
fault, so a malformed file is refused before anything is written.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # only for the element type; parsing is defusedxml's
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from smartcity.core.errors import InvalidInput
from smartcity.modules.chatbot.links import checked as checked_links
from smartcity.modules.chatbot.links import is_allowed as link_allowed
from smartcity.modules.chatbot.text import html_to_text

MAX_FILE_BYTES = 50_000_000
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# "<" as UTF-32 big- and little-endian, with or without a byte order mark (XML 1.0 F.1).
_UTF32_STARTS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\x00<", b"<\x00\x00\x00")


@dataclass
class ItemRecord:
    """An item as read from a file, before it is stored."""

    question: str
    answer: str
    source_id: str | None = None
    department_name: str = ""
    department_code: str | None = None
    keywords: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    valid_from: date | None = None
    valid_until: date | None = None
    posted_from: date | None = None
    posted_until: date | None = None


def _date(value: str | None) -> date | None:
    match = _DATE.match((value or "").strip())
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _keywords(value: str) -> list[str]:
    parts = re.split(r"[,，、;；\s]+", value)
    seen: list[str] = []
    for part in parts:
        part = part.strip()
        if part and part not in seen and len(part) <= 50:
            seen.append(part)
    return seen[:20]


def parse_taipei_faq_xml(raw: bytes) -> list[ItemRecord]:
    """Records of the 市政網站整合平台之常見問答 XML, exactly as the city publishes it."""
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput("the file is larger than 50 MB", code="file_too_large")
    if raw[:4] in _UTF32_STARTS:
        # Expat reads UTF-8 and UTF-16 only; say so rather than "not well-formed".
        raise InvalidInput(
            "UTF-32 XML cannot be read; save the file as UTF-8", code="unsupported_encoding"
        )
    try:
        # The parser itself refuses a DTD, entities and external references, whatever the
        # file's encoding (a byte search for "<!DOCTYPE" misses UTF-16).
        root = parse_xml(raw, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidInput(
            "XML with a DOCTYPE or entities is refused", code="xml_doctype"
        ) from None
    except ET.ParseError as exc:
        raise InvalidInput(f"the XML is malformed: {exc}", code="malformed_xml") from None
    records = root.findall(".//data")
    if not records:
        raise InvalidInput("no <data> records in the file", code="no_records")
    items: list[ItemRecord] = []
    seen: set[str] = set()
    for number, node in enumerate(records, start=1):

        def field_text(name: str, node: ET.Element = node) -> str:
            found = node.find(name)
            return (found.text or "").strip() if found is not None else ""

        data_id = field_text("data_id")
        title = field_text("news_title")
        if not data_id or not title:
            raise InvalidInput(
                f"record {number} has no data_id or news_title", code="record_incomplete"
            )
        if len(data_id) > 64:
            raise InvalidInput(f"record {number}: data_id is too long", code="record_invalid")
        if data_id in seen:
            continue  # the published file repeats a few records; the first one stands
        seen.add(data_id)
        answer, links = html_to_text(field_text("news_content"))
        for extra in node.findall("link"):
            url = (extra.text or "").strip()
            if link_allowed(url) and all(x["url"] != url for x in links):
                links.append({"title": url, "url": url})
        items.append(
            ItemRecord(
                question=title[:500],
                answer=answer or title,
                source_id=data_id,
                department_name=field_text("deptName")[:200],
                keywords=_keywords(field_text("keyword")),
                links=links,
                # The open data's dates are when the page was up on the city's site, not
                # how long the answer holds: a 2017 file is full of windows long closed.
                posted_from=_date(field_text("start_date")),
                posted_until=_date(field_text("end_date")),
            )
        )
    return items


def parse_jsonl(raw: bytes) -> list[ItemRecord]:
    """Items written by `export` (one JSON object a line)."""
    items: list[ItemRecord] = []
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8", code="invalid_encoding") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {number}: {exc.msg}", code="malformed_jsonl") from None
        if not isinstance(row, dict):
            raise InvalidInput(f"line {number}: not an object", code="malformed_jsonl")
        question = row.get("question")
        answer = row.get("answer")
        if not isinstance(question, str) or not question.strip() or not isinstance(answer, str):
            raise InvalidInput(
                f"line {number}: question and answer are required", code="record_incomplete"
            )
        try:
            links = [
                {"title": str(x.get("title", "")), "url": str(x["url"])}
                for x in row.get("links") or []
            ]
        except (TypeError, KeyError, AttributeError):
            raise InvalidInput(f"line {number}: malformed links", code="malformed_jsonl") from None
        try:
            checked_links(links)
        except InvalidInput as refused:
            raise InvalidInput(f"line {number}: {refused.detail}", code=refused.code) from None
        try:
            items.append(
                ItemRecord(
                    question=question.strip()[:500],
                    answer=answer,
                    source_id=(str(row["source_id"])[:64] if row.get("source_id") else None),
                    department_name=str(row.get("department_name") or "")[:200],
                    department_code=(
                        str(row["department_code"])[:32] if row.get("department_code") else None
                    ),
                    keywords=[str(k)[:50] for k in row.get("keywords") or []][:20],
                    links=links,
                    variants=[str(v)[:500] for v in row.get("variants") or [] if str(v).strip()],
                    valid_from=_date(row.get("valid_from")),
                    valid_until=_date(row.get("valid_until")),
                    posted_from=_date(row.get("posted_from")),
                    posted_until=_date(row.get("posted_until")),
                )
            )
        except (TypeError, KeyError, AttributeError):
            raise InvalidInput(f"line {number}: malformed fields", code="malformed_jsonl") from None
    if not items:
        raise InvalidInput("no items in the file", code="no_records")
    return items
