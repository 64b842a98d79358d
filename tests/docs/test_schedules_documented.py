"""docs/operations.md lists every schedule the worker runs, so an operator knows what runs when."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.jobs.catalogue import JobCatalogue
from smartcity.core.platform import Platform

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_every_schedule_has_a_row_in_the_operations_table(platform: Platform) -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    schedules = JobCatalogue.from_manifests(platform.modules).schedules
    assert schedules
    missing = [s.name for s in schedules if f"| `{s.name}` |" not in text]
    assert not missing, f"schedules docs/operations.md does not list: {missing}"
