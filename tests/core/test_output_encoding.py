"""Markup is made by Jinja templates only, and hostile text in a chart stays text.

Templates are autoescaped (quotes included), so the rule is simple: no Python code builds HTML
or SVG from strings, no template opts out of escaping, no template carries inline script or
style (the Content-Security-Policy would refuse them), and every URL put into a link from a
variable goes through `safe_url`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartcity.app import build_platform
from smartcity.core import pages
from smartcity.core.keys import KeyRing
from smartcity.core.pages import PageRenderer
from smartcity.core.settings import Settings
from smartcity.modules.livinglab import dashboard
from smartcity.modules.payments import codes
from smartcity.modules.payments import staff_pages as payment_pages
from tests.support.markup import HOSTILE, JAVASCRIPT_URL, SHORT_HOSTILE, injected

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
TEMPLATES = sorted(p for p in SRC.rglob("templates/**/*") if p.suffix in (".html", ".svg"))

# What would build markup outside a template, or let a template skip escaping.
PYTHON_MARKUP = re.compile(
    r"\bMarkup\(|markupsafe|xml\.sax\.saxutils|from html import escape|html\.escape\("
    r"|autoescape\s*=\s*False|\bEnvironment\("
)
TEMPLATE_UNESCAPED = re.compile(r"\|\s*safe\b|autoescape\s+false|\{%-?\s*autoescape")
# What a Content-Security-Policy without 'unsafe-inline' refuses.
TEMPLATE_INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|\bhx-on|javascript:",
    re.IGNORECASE,
)
UNCHECKED_URL = re.compile(r'\b(?:href|src|action|formaction)="\{\{(?![^}]*\|\s*safe_url)')
# The one place a Jinja environment is made (with autoescape on for every template).
ALLOWED_PYTHON = {SRC / "core" / "pages.py": {"Environment("}}


def test_no_python_code_builds_markup() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in PYTHON_MARKUP.finditer(line):
                if match.group(0) not in ALLOWED_PYTHON.get(path, set()):
                    found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert not found, "markup built outside a template:\n" + "\n".join(found)


def test_templates_escape_everything_and_carry_no_inline_script_or_style() -> None:
    assert len(TEMPLATES) > 40, "the template walk found too few templates"
    found = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern in (TEMPLATE_UNESCAPED, TEMPLATE_INLINE, UNCHECKED_URL):
                if pattern.search(line):
                    found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert not found, "unescaped or inline markup in templates:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.org/a?b=1", True),
        ("mailto:1999@example.org", True),
        ("/livinglab/pilots/1", True),
        ("#top", True),
        (JAVASCRIPT_URL, False),
        (" JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("\x01javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
    ],
)
def test_safe_url_links_only_what_cannot_run_script(url: str, kept: bool) -> None:
    assert (pages.safe_url(url) == url) is kept
    if not kept:
        assert pages.safe_url(url) == "#"


# -- every chart and code drawn with hostile text -----------------------------------------


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> PageRenderer:
    data = tmp_path_factory.mktemp("render")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'unused.db'}")
    platform = build_platform(settings, keys=KeyRing.ephemeral())
    pages: PageRenderer = platform.services["pages"]
    return pages


def test_every_template_is_autoescaped(renderer: PageRenderer) -> None:
    # Whatever its name ends with: a template is escaped unless it says otherwise, and
    # none may (test_templates_escape_everything_and_carry_no_inline_script_or_style).
    assert renderer.env.autoescape is True


def _drawn(renderer: PageRenderer, template: str, **context: object) -> ET.Element:
    svg = renderer.render(template, "zh_Hant", dict(context))
    assert not injected(svg), injected(svg)
    # Well-formed XML: no text broke out of an attribute (the SVG is our own output).
    root = ET.fromstring(svg)  # noqa: S314
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for element in root.iter():
        assert not element.tag.endswith("script"), element.tag
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    return root


def _texts(root: ET.Element) -> str:
    return " ".join(
        [text for element in root.iter() for text in (element.text, element.tail) if text]
        + [value for element in root.iter() for value in element.attrib.values()]
    )


def test_a_kpi_chart_keeps_hostile_names_and_units_as_text(renderer: PageRenderer) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for series in ([], [(start, 3.0)], [(start + timedelta(hours=h), h * 1.5) for h in range(4)]):
        chart = dashboard.kpi_chart(series, target=5, baseline=1, unit=SHORT_HOSTILE, title=HOSTILE)
        root = _drawn(renderer, "livinglab/kpi_chart.svg", chart=chart)
        assert root.get("aria-label") == HOSTILE
        assert root.find("{http://www.w3.org/2000/svg}title").text == HOSTILE  # type: ignore[union-attr]
        assert SHORT_HOSTILE in _texts(root)


def test_a_bar_chart_keeps_hostile_titles_and_labels_as_text(renderer: PageRenderer) -> None:
    chart = dashboard.bar_chart({"a": 3, HOSTILE: 1}, {"a": SHORT_HOSTILE}, title=HOSTILE)
    root = _drawn(renderer, "livinglab/bar_chart.svg", chart=chart)
    assert root.get("aria-label") == HOSTILE
    assert SHORT_HOSTILE in _texts(root) and HOSTILE in _texts(root)


def test_the_money_flow_chart_keeps_hostile_labels_as_text(renderer: PageRenderer) -> None:
    chart = payment_pages.flow_chart([("2026-03-01", 1200), (HOSTILE, 300)])
    root = _drawn(renderer, "payments/flow_chart.svg", chart=chart)
    assert HOSTILE in _texts(root)


def test_a_bills_codes_keep_their_label_as_text(renderer: PageRenderer) -> None:
    qr = codes.twqr_drawing("TWQRP://" + HOSTILE.replace(" ", "%20") + "/158/03/V1?D1=100")
    root = _drawn(renderer, "payments/twqr.svg", qr=qr, label=HOSTILE)
    assert root.get("aria-label") == HOSTILE
    assert re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)+", qr.path)
    code = codes.code39_drawing("1150301ABC")
    root = _drawn(renderer, "payments/code39.svg", code=code)
    assert root.get("aria-label") == "1150301ABC"


def test_code39_refuses_what_it_cannot_draw() -> None:
    from smartcity.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        codes.code39_drawing(SHORT_HOSTILE)
    assert refused.value.code == "invalid_barcode"
