"""The `smartcity` command: one entry point; modules add their own sub-commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from smartcity.core.settings import Settings


def build_cli() -> typer.Typer:
    """The root command with every enabled module's sub-commands."""
    from smartcity.app import build_platform
    from smartcity.core.jobs import cli as jobs_cli
    from smartcity.core.registry import load_manifests

    root = typer.Typer(
        help="smartcity — 城市即平台 the city government as a platform.",
        no_args_is_help=True,
        add_completion=False,
    )
    settings = Settings()

    @root.callback()
    def _platform(ctx: typer.Context) -> None:
        # Built lazily: `smartcity --help` needs no database or keys.
        if ctx.resilient_parsing or "--help" in sys.argv:
            return
        ctx.obj = build_platform(settings)

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

    for manifest in load_manifests(settings.modules):
        if manifest.cli:
            root.add_typer(manifest.cli(), name=manifest.cli_name or manifest.name)
    return root


def main() -> None:
    """Console-script entry point."""
    build_cli()()
