"""`smartcity alerts …`: detectors, the routing table, refused events, the MQTT ingester."""

from __future__ import annotations

from typing import Annotated

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly

ACTOR = system_actor("alerts-cli")


def build_cli() -> typer.Typer:
    """The `alerts` sub-commands."""
    app = typer.Typer(help="事件警報 Events from pilot devices.", no_args_is_help=True)
    detectors = typer.Typer(help="Detectors and their owners.", no_args_is_help=True)
    routes = typer.Typer(help="Which department answers which alerts.", no_args_is_help=True)
    app.add_typer(detectors, name="detectors")
    app.add_typer(routes, name="routes")

    @detectors.command("list")
    def list_detectors(ctx: typer.Context) -> None:
        """Every registered detector: device id, owner, department, pilot."""
        from smartcity.modules.alerts import service

        session = ctx.obj.db.read_session()
        try:
            for row in service.detectors(session):
                typer.echo(
                    f"{row.device_id}\t{row.owner}\t{row.department or '-'}\t"
                    f"{row.pilot_id or '-'}\t{row.name}"
                )
        finally:
            session.close()

    @detectors.command("add")
    def add_detector(
        ctx: typer.Context,
        device_id: Annotated[str, typer.Argument(help="the id the device sends itself")],
        owner: Annotated[str, typer.Option(help="device owner's organisation code")],
        name: Annotated[str, typer.Option(help="a name for people")] = "",
        pilot: Annotated[str, typer.Option(help="the living-lab pilot's id")] = "",
        department: Annotated[
            str, typer.Option(help="department answering its alerts (default: the routes)")
        ] = "",
    ) -> None:
        """Register a detector; its owner's device keys (scope `alerts`) send its events."""
        from smartcity.modules.alerts import service

        with fail_cleanly(), ctx.obj.unit_of_work(ACTOR) as uow:
            row = service.register_detector(
                uow,
                device_id=device_id,
                owner=owner,
                name=name,
                pilot_id=pilot or None,
                department=department or None,
            )
            typer.echo(f"registered {row.device_id} of {row.owner}")

    @routes.command("list")
    def list_routes(ctx: typer.Context) -> None:
        """The routing table: category, sub-category (* for the rest), department."""
        from smartcity.modules.alerts import service

        session = ctx.obj.db.read_session()
        try:
            for row in service.routes(session):
                typer.echo(f"{row.category}\t{row.sub_category or '*'}\t{row.department}")
        finally:
            session.close()

    @routes.command("set")
    def set_route(
        ctx: typer.Context,
        category: Annotated[str, typer.Argument(help="FIWARE Alert category")],
        department: Annotated[str, typer.Argument(help="department code")],
        sub_category: Annotated[
            str, typer.Option(help="FIWARE Alert subCategory (default: the whole category)")
        ] = "",
    ) -> None:
        """Send alerts of a category (or one sub-category of it) to a department."""
        from smartcity.modules.alerts import service

        with fail_cleanly(), ctx.obj.unit_of_work(ACTOR) as uow:
            row = service.set_route(uow, category, sub_category, department)
            typer.echo(f"{row.category}\t{row.sub_category or '*'}\t{row.department}")

    @app.command("dead-letters")
    def dead_letters(
        ctx: typer.Context, limit: Annotated[int, typer.Option(min=1, max=10_000)] = 20
    ) -> None:
        """The newest refused events with their reasons."""
        from smartcity.modules.alerts import service

        session = ctx.obj.db.read_session()
        try:
            for row in service.dead_letters(session, ACTOR, limit):
                typer.echo(
                    f"{row.received_at:%Y-%m-%dT%H:%M:%SZ}\t{row.source}\t{row.device_id or '-'}"
                    f"\t{row.code}\t{row.reason}"
                )
        finally:
            session.close()

    @app.command("mqtt")
    def mqtt(
        ctx: typer.Context,
        broker: Annotated[str, typer.Option(help="mqtt://host:port (default: the setting)")] = "",
        client_id: Annotated[str, typer.Option(help="persistent session id")] = "",
        max_seconds: Annotated[
            float | None, typer.Option(min=0.1, help="stop after this long (default: never)")
        ] = None,
    ) -> None:
        """Subscribe to alerts/# (QoS 1, persistent session); store events until stopped."""
        import logging
        import signal
        from urllib.parse import urlparse

        from smartcity.modules.alerts.mqtt import Ingester
        from smartcity.modules.alerts.runtime import alerts_settings

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        platform = ctx.obj
        settings = alerts_settings(platform)
        url = broker or settings.mqtt_broker or "mqtt://127.0.0.1:1883"
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        if parsed.scheme not in ("mqtt", "tcp"):
            typer.echo("the broker URL must look like mqtt://host:1883", err=True)
            raise typer.Exit(2)
        try:
            ingester = Ingester(
                platform,
                parsed.hostname or "127.0.0.1",
                parsed.port or 1883,
                client_id=client_id or settings.mqtt_client_id,
                owner=settings.mqtt_owner,
            )
        except OSError as exc:
            typer.echo(f"cannot reach the broker at {url}: {exc}", err=True)
            raise typer.Exit(2) from None
        signal.signal(signal.SIGTERM, lambda *_: ingester.stop())
        signal.signal(signal.SIGINT, lambda *_: ingester.stop())
        typer.echo(f"taking events from {url}", err=True)
        ingester.run(max_seconds)
        typer.echo(f"stored {ingester.stored} events, refused {ingester.refused}")
        if ingester.failed is not None:
            raise typer.Exit(1)

    return app
