"""`smartcity livinglab …`: the living lab from the command line."""

from __future__ import annotations

import json

import typer


def build_cli() -> typer.Typer:
    """livinglab's sub-commands."""
    app = typer.Typer(help="城市實驗室 The living lab.", no_args_is_help=True)

    @app.command("dashboard")
    def show_dashboard(ctx: typer.Context) -> None:
        """Print the public dashboard figures as JSON."""
        from smartcity.modules.livinglab import dashboard

        platform = ctx.obj
        session = platform.db.read_session()
        try:
            typer.echo(json.dumps(dashboard.summary(session), ensure_ascii=False, indent=2))
        finally:
            session.close()

    @app.command("import-elsewhere")
    def import_elsewhere(ctx: typer.Context) -> None:
        """Read the pilots of every harvested city now, and print each city's report."""
        from smartcity.modules.livinglab.elsewhere import import_harvested

        reports = import_harvested(ctx.obj)
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))

    @app.command("embed")
    def embed(ctx: typer.Context) -> None:
        """Queue the texts of challenges and proposals that have no vector yet (the hourly
        job does the same); the worker embeds them."""
        from smartcity.core.auth import system_actor
        from smartcity.modules.livinglab import semantic

        with ctx.obj.unit_of_work(system_actor("livinglab")) as uow:
            asked = semantic.request_missing(uow, ctx.obj)
        typer.echo(f"{asked} texts of challenges and proposals queued for embedding")

    return app
