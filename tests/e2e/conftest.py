"""Browser tests: a failing test's report carries the portal server's log."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

LOG_TAIL_CHARS = 20_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        server = getattr(item, "funcargs", {}).get("portal")
        log_path: Path | None = getattr(server, "log_path", None)
        if log_path is not None and log_path.exists():
            text = log_path.read_text(encoding="utf-8", errors="replace")
            report.sections.append(("smartcity server log (tail)", text[-LOG_TAIL_CHARS:]))
    return report
