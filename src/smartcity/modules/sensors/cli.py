"""`smartcity sensors …`: ingest a file of LASS lines, run the MQTT subscriber, simulate devices."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly, progress_bar
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow


def _organisation_code(platform: Platform, code: str) -> str:
    """The code of the organisation `code` names, as owners are stored; exits if there is none."""
    from smartcity.modules.identity.service import get_organisation

    session = platform.db.read_session()
    try:
        with fail_cleanly():
            return str(get_organisation(session, code).code)
    finally:
        session.close()


def build_cli() -> typer.Typer:
    """The `sensors` sub-commands."""
    app = typer.Typer(help="感測器 The sensor hub.", no_args_is_help=True)

    @app.command("ingest")
    def ingest_file(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        batch: Annotated[int, typer.Option(min=1, max=1_000_000)] = 50_000,
        owner: Annotated[
            str,
            typer.Option(
                help="organisation code the lines are for: new devices are its, other owners' "
                "devices are refused (default: any device, new ones the platform's)"
            ),
        ] = "",
    ) -> None:
        """Store a file of LASS lines (one message a line) in batches; refused lines are kept."""
        from smartcity.modules.sensors.ingest import IngestResult, ingest
        from smartcity.modules.sensors.lass import parse_lines
        from smartcity.modules.sensors.owners import Acting
        from smartcity.modules.sensors.runtime import registry_of
        from smartcity.modules.sensors.values import DeadLetterSource

        platform = ctx.obj
        # The operator at the console writes every device unless the lines are an owner's.
        acting = (
            Acting(_organisation_code(platform, owner)) if owner else Acting(None, everything=True)
        )
        totals = IngestResult()
        size = file.stat().st_size
        with (
            fail_cleanly(),
            progress_bar() as bar,
            file.open(encoding="utf-8", errors="replace") as handle,
        ):
            task = bar.add_task(f"ingesting {file.name}", total=size)
            chunk: list[str] = []
            done = 0

            def flush() -> None:
                readings, refused = parse_lines(chunk)
                with platform.unit_of_work(system_actor("sensors-cli")) as uow:
                    totals.add(
                        ingest(
                            uow,
                            readings,
                            refused,
                            source=DeadLetterSource.FILE,
                            acting=acting,
                            topic=file.name,
                            registry=registry_of(platform),
                        )
                    )

            for line in handle:
                chunk.append(line)
                done += len(line.encode("utf-8", "replace"))
                if len(chunk) >= batch:
                    flush()
                    chunk = []
                    bar.update(task, completed=done)
            if chunk:
                flush()
            bar.update(task, completed=size)
        typer.echo(
            f"{totals.received} messages: {totals.stored} observations stored, "
            f"{totals.duplicates} already stored, {totals.refused} refused, "
            f"{totals.devices_created} new devices"
        )

    @app.command("mqtt")
    def mqtt(
        ctx: typer.Context,
        broker: Annotated[str, typer.Option(help="mqtt://host:port")] = "mqtt://127.0.0.1:1883",
        shared: Annotated[
            str,
            typer.Option(
                help="join the shared subscription of this group: its ingesters split the stream"
            ),
        ] = "",
        client_id: Annotated[
            str,
            typer.Option(
                help="persistent session id (default: SMARTCITY_SENSORS_MQTT_CLIENT_ID; with "
                "--shared, that id, the group, the host and the first free number)"
            ),
        ] = "",
        store_processes: Annotated[
            int | None, typer.Option(min=0, max=16, help="0 stores in the receiving process")
        ] = None,
        publish: Annotated[bool, typer.Option(help="publish new observations (STA MQTT)")] = True,
    ) -> None:
        """Subscribe to LASS/# and v1.1/# (QoS 1, persistent session); store until stopped."""
        import logging
        import signal
        import socket

        from smartcity.app import build_platform
        from smartcity.modules.sensors.mqtt import Ingester, claim_client_id, shared_topics
        from smartcity.modules.sensors.runtime import sensors_settings

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        platform = ctx.obj
        settings = sensors_settings(platform)
        if settings.mqtt_owner and _organisation_code(platform, settings.mqtt_owner) != (
            settings.mqtt_owner
        ):
            typer.echo(
                "SMARTCITY_SENSORS_MQTT_OWNER must be an organisation's exact code", err=True
            )
            raise typer.Exit(2)
        try:
            shared_topics((), shared)  # refuses a group name MQTT does not allow
            base = client_id or settings.mqtt_client_id
            if shared and not client_id:
                base = f"{base}-{shared}-{socket.gethostname()}"
            # Held until the process ends: no second ingester here takes this session.
            session_id, _lock = claim_client_id(
                platform.settings.data_dir, base, numbered=bool(shared and not client_id)
            )
        except (ValueError, RuntimeError) as refused:
            typer.echo(str(refused), err=True)
            raise typer.Exit(2) from None
        ingester = Ingester(
            platform,
            broker,
            client_id=session_id,
            group=shared,
            publish=publish and settings.mqtt_publish_observations,
            store_processes=(
                settings.mqtt_store_processes if store_processes is None else store_processes
            ),
            platform_factory=build_platform,
        )
        signal.signal(signal.SIGTERM, lambda *_: ingester.stop())
        signal.signal(signal.SIGINT, lambda *_: ingester.stop())
        typer.echo(f"ingesting from {broker} as {ingester.client_id}", err=True)
        ingester.run()
        totals = ingester.totals
        typer.echo(f"stored {totals.stored} observations, refused {totals.refused} messages")

    @app.command("simulate")
    def simulate(
        devices: Annotated[int, typer.Option(min=1, max=100_000)] = 60,
        interval: Annotated[float, typer.Option(min=0.0, help="seconds between rounds")] = 60.0,
        rounds: Annotated[int, typer.Option(min=0, help="0 runs until stopped")] = 0,
        replay: Annotated[
            Path | None,
            typer.Option(
                exists=True,
                dir_okay=False,
                help="replay this recording (CSV or .csv.gz) instead of simulating",
            ),
        ] = None,
        speed: Annotated[
            float, typer.Option(min=0.0, help="replay this many times faster (0: at once)")
        ] = 1.0,
        mqtt: Annotated[str, typer.Option(help="publish to this broker")] = "",
        http: Annotated[str, typer.Option(help="POST to this base URL")] = "",
        token: Annotated[str, typer.Option(envvar="SMARTCITY_DEVICE_TOKEN")] = "",
        topic: str = "LASS/AirBox",
    ) -> None:
        """Publish realistic LASS messages from devices at school locations, or replay real ones."""
        if bool(mqtt) == bool(http):
            typer.echo("give exactly one of --mqtt URL or --http URL", err=True)
            raise typer.Exit(2)
        send = _mqtt_sender(mqtt, topic) if mqtt else _http_sender(http, token)
        try:
            if replay is not None:
                _replay(replay, speed, send)
            else:
                _simulate(devices, interval, rounds, send)
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)  # Ctrl-C is how a simulation is meant to end
        finally:
            send.close()

    return app


class _Sender:
    """Sends batches of LASS lines to the hub by MQTT (QoS 1) or HTTP."""

    def __init__(self, mqtt: Any = None, topic: str = "", url: str = "", token: str = "") -> None:
        self.mqtt, self.topic, self.url, self.token = mqtt, topic, url, token

    def __call__(self, lines: Sequence[str]) -> None:
        if self.mqtt is not None:
            infos = [
                self.mqtt.publish(
                    f"{self.topic}/{line.split('device_id=')[1].split('|')[0]}", line, qos=1
                )
                for line in lines
            ]
            for info in infos:
                info.wait_for_publish(timeout=30)
            return
        import httpx

        response = httpx.post(
            self.url.rstrip("/") + "/api/v1/sensors/lass",
            content="\n".join(lines).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "text/plain"},
            timeout=60,
        )
        if response.status_code != 200:
            typer.echo(f"upload refused: {response.status_code} {response.text}", err=True)
            raise typer.Exit(1)

    def close(self) -> None:
        if self.mqtt is not None:
            self.mqtt.loop_stop()
            self.mqtt.disconnect()


def _mqtt_sender(url: str, topic: str) -> _Sender:
    import secrets

    from smartcity.modules.sensors.mqtt import _client, broker_address

    client = _client(f"smartcity-simulator-{secrets.token_hex(3)}", persistent=False)
    client.max_inflight_messages_set(1000)  # devices are many clients; one client stands in
    host, port = broker_address(url)
    client.connect(host, port)
    client.loop_start()
    return _Sender(mqtt=client, topic=topic)


def _http_sender(url: str, token: str) -> _Sender:
    return _Sender(url=url, token=token)


def _simulate(devices: int, interval: float, rounds: int, send: _Sender) -> None:
    from smartcity.modules.sensors.lass import format_line
    from smartcity.modules.sensors.simulate import Field, schools

    places = schools(devices)
    field = Field()
    sent = done = 0
    while rounds == 0 or done < rounds:
        started = time.monotonic()
        now = utcnow().replace(microsecond=0)
        batch = [
            format_line(
                s.device_id, now, field.values(s, now), s.latitude, s.longitude, tick=sent + i
            )
            for i, s in enumerate(places)
        ]
        send(batch)
        sent += len(batch)
        done += 1
        typer.echo(f"round {done}: {len(batch)} messages ({sent} in all)", err=True)
        if rounds and done >= rounds:
            break
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def _replay(path: Path, speed: float, send: _Sender) -> None:
    """Send a recording's readings `speed` times faster than they were taken (0: at once)."""
    from smartcity.modules.sensors.replay import RecordingError, recorded_lines

    try:
        rows = list(recorded_lines(path))
    except RecordingError as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(2) from None
    if not rows:
        typer.echo(f"{path.name}: no readings", err=True)
        raise typer.Exit(2)
    first, began = rows[0][0], time.monotonic()
    sent = 0
    for chunk in _by_moment(rows, speed):
        if speed:
            due = began + (chunk[0][0] - first).total_seconds() / speed
            time.sleep(max(0.0, due - time.monotonic()))
        send([line for _when, line in chunk])
        before, sent = sent, sent + len(chunk)
        if sent // 1000 > before // 1000 or sent == len(rows):
            typer.echo(f"replayed {sent} of {len(rows)} readings (up to {chunk[-1][0]})", err=True)


def _by_moment(
    rows: Sequence[tuple[datetime, str]], speed: float
) -> Iterable[Sequence[tuple[datetime, str]]]:
    """The rows in groups due within 10 ms of replay time of each other (≤ 1,000 a group)."""
    step = 0.01 * speed if speed else float("inf")
    group: list[tuple[datetime, str]] = []
    for row in rows:
        if group and (len(group) >= 1000 or (row[0] - group[0][0]).total_seconds() > step):
            yield group
            group = []
        group.append(row)
    if group:
        yield group
