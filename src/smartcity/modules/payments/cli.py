"""`smartcity payments …`: ledger check, reconcile, webhooks, sandbox, expiry, states."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly, progress_bar


def build_cli() -> typer.Typer:
    """The payments commands."""
    app = typer.Typer(help="支付平臺 The payment platform.", no_args_is_help=True)
    ledger_app = typer.Typer(help="複式帳 The double-entry ledger.", no_args_is_help=True)
    webhooks_app = typer.Typer(help="Webhooks 通知.", no_args_is_help=True)
    sandbox_app = typer.Typer(help="沙盒支付 The sandbox provider.", no_args_is_help=True)

    @ledger_app.command("check")
    def check(ctx: typer.Context) -> None:
        """Prove that debits equal credits and that every paid bill has its postings."""
        from smartcity.modules.payments import ledger

        session = ctx.obj.db.read_session()
        try:
            report = ledger.check(session)
        finally:
            session.close()
        typer.echo(
            f"{report.transactions} transactions; debits {report.debits:,} NTD, "
            f"credits {report.credits:,} NTD"
        )
        for transaction in report.unbalanced:
            typer.echo(f"FAIL unbalanced transaction {transaction}")
        for number in report.bills_without_postings:
            typer.echo(f"FAIL paid bill {number} has no payment posting")
        if not report.ok:
            raise typer.Exit(1)
        typer.echo("ok: the ledger balances and every paid bill is posted")

    @ledger_app.command("balances")
    def balances(
        ctx: typer.Context,
        prefix: Annotated[str, typer.Option(help="Only accounts starting with this")] = "",
    ) -> None:
        """Print every account's balance (debits − credits)."""
        from smartcity.modules.payments import ledger

        session = ctx.obj.db.read_session()
        try:
            for name, balance in sorted(ledger.balances(session, prefix).items()):
                typer.echo(f"{name}\t{balance}")
        finally:
            session.close()

    @app.command("reconcile")
    def reconcile(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        provider: Annotated[str, typer.Option("--provider", help="The provider's code")],
        format: Annotated[str | None, typer.Option(help="csv or fixed (default: detected)")] = None,
    ) -> None:
        """Reconcile a provider's settlement file and print the report."""
        from smartcity.core.errors import InvalidInput
        from smartcity.modules.payments import reconciliation
        from smartcity.modules.payments.reconciliation import settlement_files
        from smartcity.modules.payments.values import SettlementFormat

        platform = ctx.obj
        data = settlement_files.mapped(file)
        stages = ("reading", "matching", "recording")
        with fail_cleanly(), progress_bar() as bar:
            task = bar.add_task("reconciling", total=len(stages))

            def advance(stage: str) -> None:
                bar.update(task, description=stage, completed=stages.index(stage))

            try:
                with platform.unit_of_work(system_actor("cli")) as uow:
                    settlement = reconciliation.reconcile(
                        uow,
                        provider,
                        data,
                        SettlementFormat(format) if format else None,
                        progress=advance,
                    )
                    settlement_id, counts = settlement.id, dict(settlement.counts["outcomes"])
            except InvalidInput as error:  # a refused file: show every bad line, not just one
                for bad in error.extra.get("lines", []):
                    typer.echo(f"line {bad['line']}: {bad['reason']}", err=True)
                raise
            bar.update(task, description="done", completed=len(stages))
        typer.echo(f"settlement {settlement_id}")
        for outcome, count in counts.items():
            typer.echo(f"{outcome}\t{count}")

    @app.command("import-bills")
    def import_bills(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        batch: Annotated[int, typer.Option(min=1, max=10_000, help="Bills per transaction")] = 500,
    ) -> None:
        """Issue bills from CSV (item_code,amount,due_date,payer_kind,payer_value[,description])."""
        from smartcity.modules.payments import service

        platform = ctx.obj
        settings = service.settings_of(platform)
        with fail_cleanly():
            rows = service.parse_bill_csv(file.read_text(encoding="utf-8"), limit=1_000_000)
            issued = 0
            with progress_bar() as bar:
                task = bar.add_task("issuing bills", total=len(rows))
                for start in range(0, len(rows), batch):
                    with platform.unit_of_work(system_actor("cli")) as uow:
                        for row in rows[start : start + batch]:
                            service.issue_bill(uow, settings, **row)
                    issued += len(rows[start : start + batch])
                    bar.advance(task, len(rows[start : start + batch]))
        typer.echo(f"issued {issued} bill(s)")

    @webhooks_app.command("deliver")
    def deliver(
        ctx: typer.Context,
        loop: Annotated[bool, typer.Option(help="Keep delivering every few seconds")] = False,
        interval: Annotated[float, typer.Option(help="Seconds between rounds")] = 5.0,
    ) -> None:
        """Deliver due webhooks once (or, with --loop, every few seconds until stopped)."""
        from smartcity.modules.payments import service, webhooks

        platform = ctx.obj
        settings = service.settings_of(platform)
        stopping = threading.Event()
        if loop:
            # Ctrl-C or a service manager's SIGTERM ends the loop after the round in progress:
            # stopping is how a loop ends, not an error (exit code 0).
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stopping.set())
        while True:
            with platform.unit_of_work(system_actor("webhooks")) as uow:
                counts = webhooks.deliver_round(
                    uow.session, settings, allow_private=platform.settings.outbound_private_allowed
                )
            typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
            if not loop or stopping.wait(interval):
                return

    @sandbox_app.command("deliver")
    def sandbox_deliver(
        ctx: typer.Context,
        force: Annotated[bool, typer.Option(help="Also those not yet due")] = False,
    ) -> None:
        """Send the sandbox's pending signed callbacks."""
        from smartcity.modules.payments import sandbox

        with fail_cleanly():
            typer.echo(f"sent {sandbox.deliver_pending(ctx.obj, force=force)} callback(s)")

    @app.command("expire")
    def expire(ctx: typer.Context) -> None:
        """Move open bills past their due date to expired."""
        from smartcity.modules.payments import service

        with ctx.obj.unit_of_work(system_actor("cli")) as uow:
            count = service.expire_overdue(uow)
        typer.echo(f"{count} bill(s) expired")

    @app.command("states")
    def draw_states() -> None:
        """Print the bill state machine as Graphviz DOT."""
        from smartcity.modules.payments import states

        typer.echo(states.as_dot())

    app.add_typer(ledger_app, name="ledger")
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(sandbox_app, name="sandbox")
    return app
