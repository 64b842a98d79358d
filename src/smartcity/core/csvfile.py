"""The one way the platform writes CSV: RFC 4180, with formula-looking cells neutralised.

Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula, and some
also after a leading tab or carriage return (CSV injection). Following OWASP's rule, such a
text cell gets a leading apostrophe, which spreadsheets hide and which makes the cell text.
Numbers are written as numbers, negative ones too, so a number column stays a number column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from fastapi.responses import Response, StreamingResponse

MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number: a spreadsheet reads it as that number, never as a formula.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value: Any) -> Any:
    """`value` as a cell that no spreadsheet runs as a formula ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    bom: bool = False,
) -> str:
    """A header line and one line per row (a mapping by column name, or values in order).

    `bom` starts the text with U+FEFF, which spreadsheet programs need to read UTF-8 Chinese.
    """
    header = "\ufeff" if bom else ""
    return header + csv_lines([columns]) + csv_lines(rows, columns)


def csv_lines(
    rows: Iterable[Mapping[str, Any] | Sequence[Any]], columns: Sequence[str] = ()
) -> str:
    """Lines of rows without a header: a streamed file's later parts, CKAN's `csv` records."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        values = [row.get(c) for c in columns] if isinstance(row, Mapping) else row
        writer.writerow([safe_cell(value) for value in values])
    return buffer.getvalue()


class CSVResponse(Response):
    """A CSV download, written by `write_csv` from its rows (never from ready-made text).

    Every route that answers CSV uses it; tests/core/test_csvfile.py checks that none other does.
    """

    media_type = MEDIA_TYPE

    def __init__(
        self,
        columns: Sequence[str],
        rows: Iterable[Mapping[str, Any] | Sequence[Any]],
        *,
        filename: str | None = None,
        bom: bool = False,
        status_code: int = 200,  # FastAPI reads its default to document the route
    ) -> None:
        disposition = f'attachment; filename="{filename}"' if filename else None
        super().__init__(
            write_csv(columns, rows, bom=bom),
            status_code=status_code,
            headers={"Content-Disposition": disposition} if disposition else None,
        )


class CSVStreamResponse(StreamingResponse):
    """A CSV download too large to hold, sent in parts that `write_csv` (the first, with its
    header) and `csv_lines` (the rest) made."""

    media_type = MEDIA_TYPE

    def __init__(self, parts: Iterator[str], *, filename: str) -> None:
        super().__init__(
            parts, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )
