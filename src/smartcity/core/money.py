"""Money is a whole number of New Taiwan dollars (NTD); there are no cents."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_NTD = 10**12
"""A ceiling far above any single bill; keeps sums inside 64-bit columns."""

NTD = Annotated[int, Field(ge=0, le=MAX_NTD, description="Whole New Taiwan dollars")]
PositiveNTD = Annotated[int, Field(gt=0, le=MAX_NTD, description="Whole New Taiwan dollars, > 0")]


def format_ntd(amount: int) -> str:
    """`NT$1,234` (negative amounts as `-NT$1,234`)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}NT${abs(amount):,}"
