"""Helpers for command-line commands: clean failures and progress bars."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from smartcity.core.errors import DomainError


@contextmanager
def fail_cleanly() -> Iterator[None]:
    """Turn a domain error into a one-line message and exit code 1 (no traceback)."""
    try:
        yield
    except DomainError as exc:
        typer.echo(f"error ({exc.code}): {exc.detail}", err=True)
        raise typer.Exit(1) from None


def progress_bar() -> Progress:
    """The progress bar every long job shows (on standard error, so output stays clean)."""
    from rich.console import Console

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
