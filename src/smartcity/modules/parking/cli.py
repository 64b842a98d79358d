"""`smartcity parking …`: import bays, and mark silent sensors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly
from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform
from smartcity.modules.parking import service


def build_cli() -> typer.Typer:
    """The `parking` command group."""
    app = typer.Typer(
        help="路邊停車 Roadside parking: segments, bays, sensors.", no_args_is_help=True
    )

    @app.command("import")
    def import_(
        ctx: typer.Context,
        path: Annotated[Path, typer.Argument(help="A GeoJSON (.geojson) or CSV file of bays")],
        department: Annotated[
            str, typer.Option("--department", help="Department code the segments belong to")
        ],
    ) -> None:
        """Create the segments of a bay file (segments that exist are left as they are)."""
        platform: Platform = ctx.obj
        with fail_cleanly():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"cannot read {path}: {exc}", code="unreadable") from None
            rows = service.read_bay_file(text, path.name)
            with platform.unit_of_work(system_actor("cli")) as uow:
                made = service.import_segments(uow, rows, service.settings_of(platform), department)
                bays = sum(len(r["bays"]) for r in rows if r["code"] in {m.code for m in made})
        typer.echo(f"imported {len(made)} of {len(rows)} segments ({bays} bays)")

    @app.command("mark-silent")
    def mark_silent(ctx: typer.Context) -> None:
        """Make bays whose sensors fell silent unknown, and flag their open sessions."""
        platform: Platform = ctx.obj
        with platform.unit_of_work(system_actor("cli")) as uow:
            count = service.mark_silent(uow, service.config_of(platform))
        typer.echo(f"{count} bays fell silent")

    return app
