"""`smartcity chatbot …`: import, export, ask and teach from the command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from smartcity.core.auth import system_actor
from smartcity.core.console import fail_cleanly, progress_bar
from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform
from smartcity.modules.chatbot import importer, service
from smartcity.modules.chatbot.values import Channel


class ImportFormat(StrEnum):
    """File formats `import` reads."""

    TAIPEI_FAQ_XML = "taipei-faq-xml"
    """The city's 市政網站整合平台之常見問答 open-data XML."""
    JSONL = "jsonl"
    """One item per line, as `export` writes."""


def build_cli() -> typer.Typer:
    """The `chatbot` command group."""
    app = typer.Typer(
        help="市政問答 Chatbot: knowledge base, answering, teaching.", no_args_is_help=True
    )

    @app.command("import")
    def import_(
        ctx: typer.Context,
        path: Annotated[Path, typer.Argument(help="The file to import")],
        format: Annotated[ImportFormat, typer.Option("--format", help="File format")] = (
            ImportFormat.TAIPEI_FAQ_XML
        ),
    ) -> None:
        """Import items (by source id: new ones created, changed ones updated), all or nothing."""
        platform: Platform = ctx.obj
        with fail_cleanly():
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise InvalidInput(
                    f"cannot read {path}: {exc.strerror}", code="unreadable"
                ) from None
            records = (
                importer.parse_taipei_faq_xml(raw)
                if format == ImportFormat.TAIPEI_FAQ_XML
                else importer.parse_jsonl(raw)
            )
            with platform.unit_of_work(system_actor("cli")) as uow:
                report = service.import_records(uow, records)
        typer.echo(
            f"imported {len(records)} items: {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged; {report.mapped_departments} linked to a department"
        )
        _say_what_waits(platform)

    @app.command("export")
    def export(
        ctx: typer.Context,
        path: Annotated[str, typer.Argument(help="JSONL file to write, or - for standard output")],
    ) -> None:
        """Write every item (with variants) as JSON lines."""
        platform: Platform = ctx.obj
        session = platform.db.read_session()
        try:
            lines = list(service.export_jsonl(session))
        finally:
            session.close()
        text = "".join(line + "\n" for line in lines)
        if path == "-":
            sys.stdout.write(text)
        else:
            Path(path).write_text(text, encoding="utf-8")
            typer.echo(f"exported {len(lines)} items to {path}", err=True)

    @app.command("ask")
    def ask(
        ctx: typer.Context,
        question: Annotated[str | None, typer.Argument(help="The question")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract")] = False,
        batch: Annotated[
            Path | None, typer.Option("--batch", help="One question a line; one JSON a line out")
        ] = None,
        log: Annotated[bool, typer.Option(help="Log the questions for triage")] = True,
    ) -> None:
        """Answer a question (or a file of them)."""
        platform: Platform = ctx.obj
        with fail_cleanly():
            if batch is not None:
                if not as_json:
                    raise InvalidInput("--batch needs --json", code="batch_needs_json")
                questions = batch.read_text(encoding="utf-8").splitlines()
                for line in questions:
                    typer.echo(json.dumps(_ask_one(platform, line, log), ensure_ascii=False))
                return
            if not question:
                raise InvalidInput("give a question or --batch FILE", code="empty_question")
            answer = service.ask(platform, question, channel=Channel.CLI, log=log)
            if as_json:
                typer.echo(json.dumps(answer.contract(), ensure_ascii=False))
                return
            typer.echo(answer.message)
            for n, suggestion in enumerate(answer.suggestions, start=1):
                typer.echo(
                    f"  {n}. {suggestion.question} [{suggestion.source_id or suggestion.item_id}]"
                )
            typer.echo(f"({answer.outcome.value}, confidence {answer.confidence:.2f})", err=True)

    @app.command("teach")
    def teach(
        ctx: typer.Context,
        question: Annotated[
            str | None, typer.Option("--question", help="A citizen's phrasing")
        ] = None,
        item: Annotated[str | None, typer.Option("--item", help="item_id or source_id")] = None,
        batch: Annotated[
            Path | None, typer.Option("--batch", help='JSON lines {"question", "item"}')
        ] = None,
    ) -> None:
        """Attach questions to items as variants; they answer at once."""
        platform: Platform = ctx.obj
        with fail_cleanly():
            pairs: list[tuple[str, str]] = []
            if batch is not None:
                for number, line in enumerate(batch.read_text(encoding="utf-8").splitlines(), 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                        pairs.append((str(row["question"]), str(row["item"])))
                    except (json.JSONDecodeError, KeyError, TypeError):
                        raise InvalidInput(
                            f'line {number}: expected {{"question", "item"}}',
                            code="malformed_jsonl",
                        ) from None
            elif question and item:
                pairs.append((question, item))
            else:
                raise InvalidInput(
                    "give --question and --item, or --batch FILE", code="teach_usage"
                )
            added = 0
            with progress_bar() as bar, platform.unit_of_work(system_actor("cli")) as uow:
                task = bar.add_task("teaching", total=len(pairs))
                for text, reference in pairs:
                    _item, was_added = service.teach(uow, text, reference)
                    added += was_added
                    bar.advance(task)
        typer.echo(f"taught {added} new variant(s) from {len(pairs)} question(s)")
        _say_what_waits(platform)

    @app.command("mask-personal-data")
    def mask_personal_data(ctx: typer.Context) -> None:
        """Mask national IDs, phone and card numbers in questions and variants already stored."""
        platform: Platform = ctx.obj
        with platform.unit_of_work(system_actor("cli")) as uow:
            report = service.mask_stored_personal_data(uow)
        typer.echo(
            f"masked {report.questions} question(s) and {report.variants} variant(s); "
            f"{report.merged_variants} variant(s) merged into an identical one, "
            f"{report.versions} history version(s) masked, {report.items} item(s) re-versioned"
        )

    return app


def _ask_one(platform: Platform, line: str, log: bool) -> dict[str, object]:
    try:
        return service.ask(platform, line, channel=Channel.CLI, log=log).contract()
    except InvalidInput:
        return {
            "question": line.strip(),
            "answered": False,
            "item_id": None,
            "source_id": None,
            "confidence": 0.0,
            "suggestions": [],
        }


def _say_what_waits(platform: Platform) -> None:
    # Without a worker running (the CLI alone), new texts would wait silently, and every
    # answer would rank by words alone until they are embedded.
    waiting = service.texts_to_embed(platform)
    if waiting:
        typer.echo(
            f"{waiting} 則文字等待語意嵌入，完成前的回答只以字詞排序：`smartcity serve` 旁的背景"
            "工作會處理，或現在執行 `smartcity jobs run-ready`。"
            f" Texts waiting to be embedded: {waiting}. Until they are, answers rank by words "
            "alone: the worker beside `smartcity serve` embeds them, or run "
            "`smartcity jobs run-ready` now."
        )
