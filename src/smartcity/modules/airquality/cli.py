"""`smartcity airquality …`: the quality pass, calibration, map rendering and plume tracking."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly, progress_bar

ACTOR = system_actor("airquality-cli")
DayOption = Annotated[str, typer.Option("--day", help="The city's day, YYYY-MM-DD")]


def build_cli() -> typer.Typer:
    """The `airquality` sub-commands."""
    app = typer.Typer(help="空氣品質 Air quality.", no_args_is_help=True)

    def _run(ctx: typer.Context, day: str, what: str, job: Any) -> Any:
        from smartcity.modules.airquality import service
        from smartcity.modules.airquality.service import settings_of

        platform = ctx.obj
        with fail_cleanly():
            parsed = service.parse_day(day)
            with progress_bar() as bar:
                task = bar.add_task(f"{what} {parsed.isoformat()}", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return job(platform, parsed, settings_of(platform), progress)

    @app.command("quality")
    def quality(
        ctx: typer.Context,
        day: DayOption,
        slice_minutes: Annotated[int | None, typer.Option(min=1, max=60)] = None,
    ) -> None:
        """Flag one day's readings (ADF-style) and rank the devices."""
        from smartcity.modules.airquality import service

        run = _run(
            ctx,
            day,
            "quality pass",
            lambda platform, d, s, p: service.assess_day(
                platform, ACTOR, d, s, slice_minutes=slice_minutes, progress=p
            ),
        )
        typer.echo(
            f"{run.day}: {run.devices} devices, {run.readings} slice readings, "
            f"{run.flagged_slices} flagged slices; malfunctioning: "
            f"{', '.join(run.malfunctioning) or 'none'}; indoor: {', '.join(run.indoor) or 'none'}"
        )

    @app.command("calibrate")
    def calibrate(ctx: typer.Context, day: DayOption) -> None:
        """Choose each reference station's regression on the day before, for use on DAY."""
        from smartcity.modules.airquality import service

        chosen = _run(
            ctx,
            day,
            "calibration",
            lambda platform, d, s, p: service.calibrate_day(platform, ACTOR, d, s, progress=p),
        )
        if not chosen:
            typer.echo("no reference station reported on the day before; nothing calibrated")
        for row in chosen:
            typer.echo(
                f"{row['station_id']}: {row['kind']} on {row['n_pairs']} pairs "
                f"(CV RMSE {row['rmse']}, raw {row['raw_rmse']})"
            )

    @app.command("plumes")
    def plumes(ctx: typer.Context, day: DayOption) -> None:
        """Track plumes over the hours of DAY and raise district band-crossing alerts."""
        from smartcity.modules.airquality import service

        result = _run(
            ctx,
            day,
            "plume tracking",
            lambda platform, d, s, p: service.track_day(platform, ACTOR, d, s, progress=p),
        )
        typer.echo(
            f"{result['day']}: {result['devices']} devices, {result['tracks']} plume tracks, "
            f"{result['alerts']} district alerts"
        )

    @app.command("render")
    def render(
        ctx: typer.Context,
        out: Annotated[Path, typer.Option("--out", dir_okay=False, writable=True)],
        time: Annotated[
            str, typer.Option("--time", help="ISO 8601 (naive = the city's time)")
        ] = "",
        width: Annotated[int, typer.Option(min=2, max=500)] = 500,
        height: Annotated[int, typer.Option(min=2, max=500)] = 500,
        method: Annotated[str, typer.Option(help="kriging or idw")] = "kriging",
    ) -> None:
        """Write the estimated surface over the city at TIME as a PNG coloured by AQI band."""
        from smartcity.modules.airquality import errors, service
        from smartcity.modules.airquality.rendering import GridSpec, render_png
        from smartcity.modules.airquality.service import settings_of

        platform = ctx.obj
        with fail_cleanly():
            if method not in ("kriging", "idw"):
                raise errors.InvalidMethod("method must be kriging or idw")
            when = service.parse_time(time or None)
            extent = platform.settings.city_profile.extent
            spec = GridSpec(extent.south, extent.west, extent.north, extent.east, width, height)
            with progress_bar() as bar:
                task = bar.add_task("rendering", total=2)
                session = platform.db.read_session()
                try:
                    grid, snap = service.grid_at(
                        session,
                        spec,
                        when,
                        settings_of(platform),
                        method,  # type: ignore[arg-type]
                    )
                finally:
                    session.close()
                bar.update(task, completed=1)
                out.write_bytes(render_png(grid))
                bar.update(task, completed=2)
        typer.echo(f"{out}: {width}×{height} from {len(snap.device_ids)} devices at {when}")

    return app
