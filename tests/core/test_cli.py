"""The root command: every module's commands are listed, and one command imports one module."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from smartcity.cli import build_cli
from smartcity.core.registry import load_manifests

WHICH_MODULES_LOADED = """
import sys
from typer.testing import CliRunner
from smartcity.cli import build_cli
result = CliRunner().invoke(build_cli(), ["parking", "--help"])
assert result.exit_code == 0, result.output
print(" ".join(sorted(name.split(".")[2] for name in sys.modules
                      if name.startswith("smartcity.modules.") and name.endswith(".cli"))))
"""


def test_help_lists_every_module_s_commands() -> None:
    result = CliRunner().invoke(build_cli(), ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    named = [m.cli_name or m.name for m in load_manifests(()) if m.cli]
    assert len(named) >= 8
    for name in named:
        assert f" {name} " in result.output


def test_a_module_s_command_imports_that_module_s_commands_only() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", WHICH_MODULES_LOADED], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == ["parking"]


def test_a_module_s_group_keeps_its_commands_and_help() -> None:
    result = CliRunner().invoke(build_cli(), ["parking", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "路邊停車" in result.output
    assert "mark-silent" in result.output
    unknown = CliRunner().invoke(build_cli(), ["no-such-module"])
    assert unknown.exit_code == 2
