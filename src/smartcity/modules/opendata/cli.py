"""`smartcity opendata …`: refresh the catalogue, list it."""

from __future__ import annotations

import json
from typing import Annotated

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

    @app.command("add-source")
    def add_source(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="A short name: 2-40 of a-z, 0-9 and -")],
        url: Annotated[
            str, typer.Argument(help="A CKAN instance's base URL, or a DCAT catalogue's URL")
        ],
        kind: Annotated[
            str, typer.Option(help="ckan (CKAN's Action API) or dcat (DCAT-AP JSON-LD)")
        ] = "ckan",
    ) -> None:
        """Register another catalogue (CKAN's Action API or DCAT-AP) to harvest hourly."""
        platform: Platform = ctx.obj
        with fail_cleanly():
            typer.echo(service.add_harvest_source(platform, name, url, kind))

    @app.command("harvest")
    def harvest(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="The source's name (all sources without)")] = "",
    ) -> None:
        """Harvest now and print each run's report (added, updated, deleted, skipped)."""
        platform: Platform = ctx.obj
        with fail_cleanly():
            reports = (
                {name: service.harvest_source(platform, name)}
                if name
                else service.harvest_all(platform)
            )
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))

    return app
