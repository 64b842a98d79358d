"""The public catalogue in data.gov.tw's dataset metadata, for the national listing.

政府資料開放平臺 (data.gov.tw) exports each dataset's metadata with these Chinese keys; the
same keys here let the national platform (and tools written for its export) read ours.
Several distributions share one field, joined by `;` in the same order, as its export does.
Times are the city's, `YYYY-MM-DD HH:MM:SS`, as its export writes them. The fields the
national platform assigns itself (its numeric id, service category, quality badge) are not
ours to fill and are left out; so is the contact's telephone, which the catalogue does not
keep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from smartcity.core.registry import Dataset as Registration
from smartcity.core.time import format_local
from smartcity.modules.opendata import tables

FIELDS = (
    "資料集識別碼",
    "資料集名稱",
    "資料集描述",
    "主要欄位說明",
    "提供機關",
    "提供機關聯絡人姓名",
    "更新頻率",
    "授權方式",
    "計費方式",
    "相關網址",
    "資料下載網址",
    "檔案格式",
    "編碼格式",
    "上架日期",
    "詮釋資料更新時間",
    "資料量",
    "備註",
)
"""The keys of each record, in data.gov.tw's order."""
FREQUENCIES = {
    "continuous": "即時",
    "hourly": "每1時",
    "daily": "每1日",
    "monthly": "每1月",
    "irregular": "不定期更新",
}
LICENSES = {
    "GODL-1.0": "政府資料開放授權條款-第1版",
    "CC-BY-4.0": "創用CC 姓名標示 4.0",
    "CC0-1.0": "創用CC0 1.0",
}
FREE = "免費"
ENCODING = "UTF-8"


def _time(ckan_time: str | None) -> str:
    if not ckan_time:
        return ""
    return format_local(datetime.fromisoformat(ckan_time + "+00:00"), with_seconds=True)


def _fields(registration: Registration | None) -> str:
    """`name(type)` of each column of a live table, `;`-separated (主要欄位說明)."""
    if registration is None:
        return ""
    table = tables.live_table(registration)
    return ";".join(f"{column.name}({tables.ckan_type(column.type)})" for column in table.c)


def record(package: Mapping[str, Any], registration: Registration | None) -> dict[str, str]:
    """One public package as data.gov.tw's dataset metadata."""
    resources: Sequence[Mapping[str, Any]] = package["resources"]
    counts = [r["record_count"] for r in resources if isinstance(r["record_count"], int)]
    live = any(r["datastore_active"] for r in resources)
    notes_en = package.get("notes_en") or ""
    found = {
        "資料集識別碼": package["name"],
        "資料集名稱": package["title"],
        "資料集描述": package["notes"],
        "主要欄位說明": _fields(registration) if live else "",
        "提供機關": package["organization"]["title"],
        "提供機關聯絡人姓名": package.get("maintainer") or "",
        "更新頻率": FREQUENCIES.get(package.get("frequency") or "", FREQUENCIES["irregular"]),
        "授權方式": LICENSES.get(package["license_id"], package["license_title"]),
        "計費方式": FREE,
        "相關網址": package["url"],
        "資料下載網址": ";".join(r["url"] for r in resources),
        "檔案格式": ";".join(r["format"] or "" for r in resources),
        "編碼格式": ";".join(ENCODING for _r in resources),
        "上架日期": _time(package["metadata_created"]),
        "詮釋資料更新時間": _time(package["metadata_modified"]),
        "資料量": str(sum(counts)) if counts else "",
        "備註": f"English: {package['title_en']}. {notes_en}".strip()
        if package.get("title_en")
        else "",
    }
    return {key: found[key] for key in FIELDS}
