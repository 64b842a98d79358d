"""How modules meet: core imports no module; a module imports only the service functions
and events of the modules it declares in `depends_on`."""

from __future__ import annotations

import ast
from pathlib import Path

from smartcity.core.registry import load_manifests

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
PUBLIC_PARTS = {"service", "events", "values", "schemas"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_imports_no_module() -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in (SRC / "core").rglob("*.py")
        for name in _imports(path)
        if name.startswith(("smartcity.modules", "smartcity.web", "smartcity.app"))
    ]
    assert not offenders, offenders


def test_modules_use_only_declared_public_parts() -> None:
    manifests = {m.name: m for m in load_manifests(())}
    offenders = []
    for name, manifest in manifests.items():
        for path in (SRC / "modules" / name).rglob("*.py"):
            for imported in _imports(path):
                parts = imported.split(".")
                if parts[:2] != ["smartcity", "modules"] or len(parts) < 3 or parts[2] == name:
                    continue
                other, part = parts[2], (parts[3] if len(parts) > 3 else "")
                if other not in manifest.depends_on or part not in PUBLIC_PARTS:
                    offenders.append(f"{path.relative_to(SRC)} imports {imported}")
    assert not offenders, offenders


def test_importing_the_package_does_nothing() -> None:
    import subprocess
    import sys

    # No engine, no settings, no module loading at import time.
    code = (
        "import sys, smartcity.app, smartcity.cli, smartcity.modules.identity as m; "
        "loaded = [k for k in sys.modules if 'dialects.sqlite' in k or k == 'psycopg']; "
        "print(m.manifest.name, loaded)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "SMARTCITY_DATABASE_URL": "bogus://"},
    )
    assert result.stdout.strip() == "identity []"


def test_import_linter_has_a_contract_for_every_module() -> None:
    import tomllib

    pyproject = SRC.parents[1] / "pyproject.toml"
    contracts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
    sources = {source for contract in contracts for source in contract["source_modules"]}
    for manifest in load_manifests(()):
        assert f"smartcity.modules.{manifest.name}" in sources, manifest.name
