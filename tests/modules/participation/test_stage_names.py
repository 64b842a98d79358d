"""Every stage and status a page shows by its value has a name in both languages."""

from __future__ import annotations

import pytest

from smartcity.core.platform import Platform
from smartcity.modules.participation.values import BudgetStage, ProjectStatus, Stage

# The templates build these message ids from the value: _("stage." ~ issue.stage).
SHOWN = {"stage": Stage, "budget": BudgetStage, "project": ProjectStatus}


@pytest.mark.parametrize("locale", ["zh_Hant", "en"])
def test_every_stage_and_status_has_a_name(platform: Platform, locale: str) -> None:
    translate = platform.services["pages"].translator(locale, "participation")
    unnamed = [
        f"{prefix}.{value}"
        for prefix, values in SHOWN.items()
        for value in (v.value for v in values)
        if translate(f"{prefix}.{value}") == f"{prefix}.{value}"
    ]
    assert not unnamed
