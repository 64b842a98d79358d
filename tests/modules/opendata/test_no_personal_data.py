"""No public resource carries a national ID, a plate, a person's name or a bank account.

Scanned over the whole demo city, whose modules hold all four (citizens, their bindings,
parking stays billed to plates, bills with payers), through the public API only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.demo import load_demo
from smartcity.modules.identity.models import Binding, User
from smartcity.modules.search.settings import SearchSettings
from tests.modules.opendata.conftest import result

NATIONAL_ID = re.compile(r"\b[A-Z][12]\d{8}\b")
PLATE = re.compile(r"\b(?:[A-Z]{2,3}-\d{3,4}|\d{3,4}-[A-Z]{2,3})\b")
BANK_ACCOUNT = re.compile(r"(?<![\w.-])\d{10,16}(?![\w.-])")


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    return []


def test_every_public_resource_is_free_of_personal_data(
    platform: Platform, client: TestClient
) -> None:
    # Nothing public is made of embeddings: the worker need not spend a minute on the demo's.
    platform.module_settings["search"] = SearchSettings(embedder="none")
    load_demo(platform)
    Worker(platform).run_ready()
    session = platform.db.read_session()
    try:
        names = {name for name in session.scalars(select(User.name)) if len(name) >= 2}
        bound = set(session.scalars(select(Binding.value)))
    finally:
        session.close()
    assert names and bound, "the demo should hold people to look for"
    scanned = 0
    findings: list[str] = []
    for dataset in result(client, "package_list"):
        package = result(client, "package_show", id=dataset)
        for resource in package["resources"]:
            assert resource["datastore_active"]
            offset = 0
            while True:
                page = result(
                    client,
                    "datastore_search",
                    resource_id=resource["id"],
                    limit=32000,
                    offset=offset,
                    include_total=False,
                )
                for record in page["records"]:
                    for text in (t for v in record.values() for t in _texts(v)):
                        scanned += 1
                        for kind, pattern in (
                            ("national ID", NATIONAL_ID),
                            ("plate", PLATE),
                            ("bank account", BANK_ACCOUNT),
                        ):
                            if pattern.search(text):
                                findings.append(f"{dataset}: {kind} in {text[:80]!r}")
                        for name in names | bound:
                            if name in text:
                                findings.append(f"{dataset}: {name!r} in {text[:80]!r}")
                if len(page["records"]) < 32000:
                    break
                offset += 32000
    assert scanned > 1000
    assert not findings, "\n".join(sorted(set(findings))[:40])
