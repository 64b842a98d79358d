"""Operators can rely on the docs: every setting and every module is documented."""

from __future__ import annotations

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
