"""`smartcity opendata …`: refresh the catalogue, list it."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from smartcity.core.auth import ANONYMOUS
from smartcity.core.console import fail_cleanly
from smartcity.core.platform import Platform
from smartcity.modules.opendata import service


def build_cli() -> typer.Typer:
    """The `opendata` command group."""
    app = typer.Typer(
        help="開放資料 Open data: the CKAN-compatible catalogue.", no_args_is_help=True
    )

    @app.command("refresh")
    def refresh(ctx: typer.Context) -> None:
        """Bring the catalogue in step with the modules' registrations and data."""
        platform: Platform = ctx.obj
        with fail_cleanly():
            changed = service.refresh_catalogue(platform)
        typer.echo(
            f"{len(changed)} datasets changed" + (f": {', '.join(changed)}" if changed else "")
        )

    @app.command("list")
    def list_(ctx: typer.Context) -> None:
        """The public datasets, with their departments and record counts."""
        platform: Platform = ctx.obj
        call = service.Call(platform, ANONYMOUS, {"rows": 1000}, platform.settings.base_url)
        session = platform.db.read_session()
        try:
            found = service.READS["package_search"](session, call)
        finally:
            session.close()
        table = Table("name", "organization", "records", "modified")
        for package in found["results"]:
            records = sum(r["record_count"] or 0 for r in package["resources"])
            table.add_row(
                package["name"], package["owner_org"], str(records), package["metadata_modified"]
            )
        Console().print(table)

    return app
