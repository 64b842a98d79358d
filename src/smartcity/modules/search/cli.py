"""`smartcity search …`: which ranking is in use and how many vectors are stored."""

from __future__ import annotations

import json

import typer

from smartcity.core.platform import Platform
from smartcity.modules.search import repository as repo
from smartcity.modules.search.service import status, waiting


def build_cli() -> typer.Typer:
    """The `smartcity search` sub-commands."""
    app = typer.Typer(help="語意搜尋 Semantic search: the model in use and the stored vectors.")

    @app.command("status")
    def show_status(ctx: typer.Context) -> None:
        """Print the ranking in use (fused or lexical, and why), the stored vectors and the texts
        still waiting to be embedded, as JSON."""
        platform: Platform = ctx.obj
        with platform.db.read_session() as session:
            stored = repo.count_vectors(session)
            queued = waiting(session, platform)
        typer.echo(
            json.dumps(
                {**status(platform), "vectors": stored, "waiting": queued}, ensure_ascii=False
            )
        )

    return app
