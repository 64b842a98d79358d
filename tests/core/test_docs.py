"""Operators can rely on the docs: every setting and every module is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

from smartcity.core.registry import load_manifests
from smartcity.core.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_in_the_operations_guide() -> None:
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"SMARTCITY_{name.upper()}" not in text]
    assert not missing, f"undocumented settings: {missing}"


def test_every_module_has_an_operators_page_and_is_on_the_map() -> None:
    architecture = (DOCS / "architecture.md").read_text(encoding="utf-8")
    for manifest in load_manifests(()):
        assert (DOCS / f"{manifest.name}.md").exists(), manifest.name
        assert manifest.name in architecture


def test_every_module_setting_is_documented_on_its_page() -> None:
    for manifest in load_manifests(()):
        if manifest.settings is None:
            continue
        prefix = manifest.settings.model_config.get("env_prefix", "")
        assert prefix == f"SMARTCITY_{manifest.name.upper()}_", manifest.name
        text = (DOCS / f"{manifest.name}.md").read_text(encoding="utf-8")
        missing = [
            name for name in manifest.settings.model_fields if f"{prefix}{name.upper()}" not in text
        ]
        assert not missing, f"{manifest.name}: undocumented settings {missing}"


def test_every_rule_has_a_description() -> None:
    for manifest in load_manifests(()):
        for rule in manifest.rules:
            assert rule.description, rule.name


def _settings() -> dict[str, object]:
    """Every setting's variable and its default, the kernel's and each module's."""
    classes = [(Settings, "SMARTCITY_")] + [
        (manifest.settings, manifest.settings.model_config.get("env_prefix", ""))
        for manifest in load_manifests(())
        if manifest.settings is not None
    ]
    return {
        f"{prefix}{name.upper()}": field.get_default(call_default_factory=True)
        for settings, prefix in classes
        for name, field in settings.model_fields.items()
    }


def _shown(default: object) -> str:
    """A default as the tables write it."""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, tuple):
        return ",".join(default)
    if isinstance(default, dict):
        return json.dumps(default)  # as the variable is set: JSON
    return "" if default is None else str(default)


# A table row: | `SMARTCITY_…` | default | meaning |, or | `SMARTCITY_…` (default) | meaning |.
SETTING_ROW = re.compile(r"^\|\s*`(SMARTCITY_\w+)`\s*(?:\(([^)]*)\)\s*\||\|([^|]*)\|)", re.M)


def test_settings_tables_show_the_code_defaults() -> None:
    defaults = _settings()
    wrong = []
    for page in [DOCS.parent / "README.md", *DOCS.rglob("*.md")]:
        for name, in_parentheses, in_column in SETTING_ROW.findall(page.read_text("utf-8")):
            cell = (in_parentheses or in_column).strip()
            if name not in defaults:
                wrong.append(f"{page.name}: {name} is no setting")
                continue
            values = re.findall(r"`([^`]*)`", cell)
            # Blank, "empty…" or a remark in parentheses: the default is empty.
            if not cell or cell.startswith("empty") or re.fullmatch(r"\*?\(.*\)\*?", cell):
                shown = ""
            else:
                shown = values[0] if values else cell
            if shown != _shown(defaults[name]):
                wrong.append(
                    f"{page.name}: {name} shows {shown!r}, the code has {defaults[name]!r}"
                )
    assert not wrong, wrong


def test_every_smartcity_variable_the_docs_name_is_read_somewhere() -> None:
    # A setting, or a variable of the test suites and benchmarks (SMARTCITY_TEST_DATABASE_URL).
    known = set(_settings())
    root = DOCS.parent
    sources = [root / "Makefile", *root.glob("tests/**/*.py"), *root.glob("bench/*.py")]
    used = "\n".join(path.read_text("utf-8") for path in sources if path != Path(__file__))
    unknown = set()
    for page in [root / "README.md", *DOCS.rglob("*.md")]:
        for name in re.findall(
            r"\bSMARTCITY_[A-Z0-9_]*[A-Z0-9]\b(?![<*])", page.read_text("utf-8")
        ):
            if name not in known and re.search(rf"\b{name}\b", used) is None:
                unknown.add(f"{page.name}: {name}")
    assert not unknown, sorted(unknown)
