"""Pilots elsewhere, through the open-data harvest: every city whose catalogue this city
harvests and that publishes `livinglab-pilots` has its pilots' signed records read and kept
here as pilots elsewhere, with their KPIs and outcome and the city they came from.

The harvested copy names the source's live table of published pilots (its DataStore dump, a
CSV with each pilot's `id`); each pilot's signed record is then read from the source's living
lab (`/api/v1/livinglab/pilots/{id}/export`) and verified before it is kept.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlsplit

import httpx

import smartcity.modules.opendata.service as opendata
from smartcity.core import outbound
from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of
from smartcity.modules.livinglab import exchange
from smartcity.modules.livinglab.settings import LivinglabSettings

PILOTS_DATASET = "livinglab-pilots"
"""The dataset every smartcity instance publishes its pilots under."""
MAX_PILOTS = 500
"""Signed records read from one city at most per run."""
TIMEOUT = 30.0


class SourceUnreadable(Exception):
    """The source's pilots could not be read (unreachable, not a smartcity living lab)."""


def _records(http: httpx.Client, source_url: str, table_url: str) -> list[dict[str, Any]]:
    # Read the table at the address this city harvests the source from: the source's own
    # idea of its address (its base URL setting) may not be reachable from here.
    table = source_url + urlsplit(table_url).path
    try:
        listing = http.get(table)
        listing.raise_for_status()
        ids = [row["id"] for row in csv.DictReader(io.StringIO(listing.text)) if row.get("id")]
        envelopes = []
        for pilot_id in ids[:MAX_PILOTS]:
            answer = http.get(f"{source_url}/api/v1/livinglab/pilots/{pilot_id}/export")
            answer.raise_for_status()
            envelope = answer.json()
            if isinstance(envelope, dict):
                envelopes.append(envelope)
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise SourceUnreadable(f"{source_url} did not give its pilots: {exc}") from None
    return envelopes


def import_harvested(platform: Platform) -> dict[str, dict[str, Any]]:
    """Read every harvested city's signed pilot records, then keep them, one transaction per
    city; each city's report (`added`, `updated`, `removed`, `refused`, or `error`)."""
    session = platform.db.read_session()
    try:
        copies = opendata.harvested_copies(session, PILOTS_DATASET)
    finally:
        session.close()
    settings = settings_of(platform, "livinglab", LivinglabSettings)
    trusted = {key.strip() for key in settings.trusted_keys.split(",") if key.strip()}
    allow = platform.settings.outbound_private_allowed
    reports: dict[str, dict[str, Any]] = {}
    for copy in copies:
        if not copy.resource_urls:
            continue
        try:
            with outbound.client(allow_private=allow, timeout=TIMEOUT) as http:
                envelopes = _records(http, copy.source_url, copy.resource_urls[0])
        except (SourceUnreadable, outbound.OutboundRefused) as exc:
            # The pilots already kept stay as they were: a source down is not a source gone.
            reports[copy.source] = {"error": str(exc)[:500]}
            continue
        with platform.unit_of_work(system_actor("livinglab-elsewhere")) as uow:
            reports[copy.source] = dict(
                exchange.follow_source(uow, copy.source, envelopes, trusted)
            )
    return reports
