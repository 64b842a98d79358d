"""A vendor's text shown on public pages stays text (the audit's finding 1).

A vendor declared a KPI named `" onload="<script>` on its own running pilot; the name went
into `<svg aria-label="…">` with its quotes unescaped, so the public pilot page and the chart ran
the vendor's script in the browser of whoever looked, an administrator included.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import escape

from tests.modules.livinglab.conftest import API, Lab
from tests.support.markup import HOSTILE, SHORT_HOSTILE, injected

AUDIT_NAME = '" onload="<script>'


@pytest.mark.parametrize("name", [AUDIT_NAME, HOSTILE])
def test_a_vendors_kpi_name_stays_text_on_the_public_page_and_chart(lab: Lab, name: str) -> None:
    pilot = lab.pilot("running", title=HOSTILE, summary=HOSTILE)
    body = {"name": name, "unit": SHORT_HOSTILE, "baseline": 10, "target": 20}
    kpi = lab.ok(lab.post(f"/pilots/{pilot}/kpis", lab.vendor, body), 201)["id"]
    lab.ok(lab.post(f"/kpis/{kpi}/measurements", lab.vendor, {"value": 12}), 201)

    page = lab.client.get(f"/livinglab/pilots/{pilot}")
    assert page.status_code == 200
    assert not injected(page.text), injected(page.text)
    # Shown, not dropped: as the chart's label and as the KPI's heading.
    assert f'aria-label="{escape(name)}"' in page.text and f"<h3>{escape(name)}</h3>" in page.text

    chart = lab.client.get(f"{API}/pilots/{pilot}/kpis/{kpi}/chart.svg")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert not injected(chart.text), injected(chart.text)
    root = ET.fromstring(chart.text)  # noqa: S314  # our own answer, parsed to prove it is whole
    assert root.get("aria-label") == name
    assert not [a for e in root.iter() for a in e.attrib if a.lower().startswith("on")]
    # Opened on its own, the SVG is a document: the policy forbids any script in it too.
    assert "script-src 'self'" in chart.headers["content-security-policy"]


def test_the_dashboards_charts_carry_no_markup_from_pilot_titles(lab: Lab) -> None:
    lab.pilot("running", title=HOSTILE, summary=HOSTILE)
    page = lab.client.get("/livinglab")
    assert page.status_code == 200 and page.text.count('class="bar-chart"') == 4
    assert not injected(page.text), injected(page.text)
