"""opendata's jobs: the catalogue follows the modules' data on a schedule."""

from __future__ import annotations

from typing import Any

from smartcity.core.platform import Platform
from smartcity.modules.opendata import service


def refresh(platform: Platform, _payload: Any) -> None:
    """Record counts, coverage and `metadata_modified` of every registered dataset."""
    service.refresh_catalogue(platform)


def harvest(platform: Platform, _payload: Any) -> None:
    """Harvest every registered source (each run is reported in `opendata_harvest_runs`)."""
    service.harvest_all(platform)
