"""`smartcity parking …`: import bays, mark silent sensors, simulate sensed bays."""

from __future__ import annotations

import math
import secrets
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly
from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.parking import service
from smartcity.modules.parking.schemas import SightingIn
from smartcity.modules.parking.seed import DEMO_PLATES
from smartcity.modules.parking.simulate import BaySimulator, Sighting


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

    @app.command("simulate")
    def simulate(
        ctx: typer.Context,
        mqtt: Annotated[str, typer.Option(help="publish to this broker (mqtt://host:port)")],
        speed: Annotated[
            float, typer.Option(min=0.1, max=100_000, help="simulated minutes per real minute")
        ] = 60.0,
        seconds: Annotated[
            float, typer.Option(min=0, help="real seconds to run (0: until stopped)")
        ] = 0.0,
        fault_rate: Annotated[
            float, typer.Option(min=0, max=1, help="chance a heartbeat reports a fault")
        ] = 0.002,
        plates: Annotated[
            bool,
            typer.Option(help="record the plates wardens and cameras see, so stays are billed"),
        ] = True,
        bound_share: Annotated[
            float,
            typer.Option(
                min=0, max=1, help="share of sighted vehicles with a demo citizen's plate"
            ),
        ] = 0.2,
    ) -> None:
        """Drive every sensed bay over LoRaWAN-shaped MQTT: arrivals, stays, heartbeats, faults,
        and the plates seen in the bays."""
        platform: Platform = ctx.obj
        with platform.db.read_session() as session:
            bays = service.simulated_bays(session)
        if not bays:
            typer.echo(
                "no bays with sensors: import some first (smartcity parking import)", err=True
            )
            raise typer.Exit(1)
        simulator = BaySimulator(
            bays, speed=speed, fault_rate=fault_rate, plates=DEMO_PLATES, bound_share=bound_share
        )
        client = _publisher(mqtt)
        sent = seen = 0
        config = service.config_of(platform)

        def sight(sightings: list[Sighting]) -> None:
            # As a camera would post them: one transaction each, so one refusal spoils none.
            nonlocal seen
            for bay, plate, at in sightings:
                with platform.unit_of_work(system_actor("parking-simulator")) as uow:
                    service.record_sighting(
                        uow, SightingIn(bay=bay, plate=plate, seen_at=at), config
                    )
                seen += 1

        def send(batch: list[tuple[str, bytes]]) -> None:
            nonlocal sent
            for info in [client.publish(topic, payload, qos=1) for topic, payload in batch]:
                info.wait_for_publish(timeout=30)
            sent += len(batch)

        typer.echo(f"simulating {len(bays)} bays at {speed:g}× on {mqtt}", err=True)
        try:
            simulator.run(
                send,
                time.monotonic,
                time.sleep,
                utcnow,
                seconds or math.inf,
                sight if plates else None,
            )
        except KeyboardInterrupt:
            pass  # Ctrl-C is how a simulation is meant to end
        finally:
            client.loop_stop()
            client.disconnect()
        typer.echo(f"sent {sent} uplinks, recorded {seen} sightings")

    return app


def _publisher(url: str) -> Any:
    """A connected paho client (MQTT 3.1.1, a clean session) standing in for many devices."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    parsed = urlparse(url if "://" in url else f"mqtt://{url}")
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"smartcity-parking-simulator-{secrets.token_hex(3)}",
        protocol=paho.MQTTv311,
    )
    client.max_inflight_messages_set(1000)
    try:
        client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
    except OSError as exc:
        typer.echo(f"cannot reach {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    client.loop_start()
    return client
