"""opendata's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class Origin(StrEnum):
    """Where a dataset's description comes from."""

    MODULE = "module"
    """A module registered it in its manifest; the refresh keeps it in step."""
    STAFF = "staff"
    """Staff made it through the Action API (`package_create`)."""
    HARVEST = "harvest"
    """Copied from another instance's catalogue; the next harvest keeps it in step."""


class State(StrEnum):
    """CKAN's dataset states."""

    ACTIVE = "active"
    """Listed and served."""
    DRAFT = "draft"
    """Being written: only its department sees it, never in search, facets or counts."""
    DELETED = "deleted"
    """Gone from every list; `package_show` answers Not Found to the public."""


class SourceKind(StrEnum):
    """How a harvest source's catalogue is read."""

    CKAN = "ckan"
    """CKAN's Action API at the source's base URL (`package_search`, 1,000 at a time)."""
    DCAT = "dcat"
    """A DCAT-AP JSON-LD document at the source's URL, its pages followed by Hydra's `next`."""


class Frequency(StrEnum):
    """How often a dataset changes (DCAT's accrualPeriodicity, data.gov.tw's 更新頻率)."""

    CONTINUOUS = "continuous"
    """As data arrives."""
    HOURLY = "hourly"
    """Every hour."""
    DAILY = "daily"
    """Every day."""
    MONTHLY = "monthly"
    """Every month."""
    IRREGULAR = "irregular"
    """When something changes."""


GOVERNMENT_LICENSE = "GODL-1.0"
"""The Government Open Data License, Taiwan, version 1.0: the default licence."""
LICENSES = {
    GOVERNMENT_LICENSE: (
        "政府資料開放授權條款-第1版 Open Government Data License, version 1.0",
        "https://data.gov.tw/license",
    ),
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC0-1.0": ("Creative Commons Zero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
"""Licences a dataset may carry: id → (title, URL)."""

GROUPS = {
    "environment": ("環境", "Environment"),
    "transport": ("交通", "Transport"),
    "finance": ("財政", "Finance"),
    "participation": ("公民參與", "Participation"),
    "innovation": ("創新實驗", "Innovation"),
    "governance": ("施政透明", "Governance"),
    "services": ("市民服務", "City services"),
}
"""CKAN groups: the catalogue's themes, by name → (Traditional Chinese, English)."""
