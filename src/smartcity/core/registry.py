"""The module registry: each module describes itself in one manifest.

Manifests hold factories, not objects, so that importing a module does
nothing; `create_app()` calls the factories.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartcity.core.auth import Principal, Rule

if TYPE_CHECKING:
    from fastapi import APIRouter
    from pydantic_settings import BaseSettings
    from typer import Typer

    from smartcity.core.platform import Platform
    from smartcity.core.uow import UnitOfWork


@dataclass(frozen=True)
class PortalCard:
    """A tile on the citizen's "my services" page or the staff console.

    Title and description are English message ids marked with `N_()`, translated in the
    module's catalogue; the icon is a name from web/templates/web/_icons.html.
    """

    title: str
    description: str
    href: str
    icon: str = ""


@dataclass(frozen=True)
class Schedule:
    """A task the worker enqueues whenever a cron expression, read in the city's zone, is due."""

    name: str
    """Unique across the platform: `<module>.<what>`; one run per due time across workers."""
    cron: str
    """Five fields (minute hour day-of-month month day-of-week), e.g. `15 1 * * *`."""
    task: str
    """The task's name (`Manifest.tasks`); it gets `{"due_at": ISO time}` as its payload."""


@dataclass(frozen=True)
class Dataset:
    """A table a module publishes as open data; the `opendata` module lists it (ADR 29).

    Core never calls the module: `records` names a function of the module's service, found
    when opendata asks for it, that returns a SQLAlchemy `Select` whose columns are exactly
    what the public may see (no person's name, ID, plate or account).
    """

    name: str
    """Unique across the platform, CKAN's rule: 2-100 of a-z, 0-9, `-` and `_`."""
    title: str
    """Traditional Chinese first."""
    title_en: str
    description: str
    description_en: str
    department: str
    """The publishing department's organisation code (`DEP`), CKAN's organisation."""
    records: str
    """`"package.module:function"`: a function of no arguments returning the `Select`."""
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    """Themes (CKAN groups): `environment`, `transport`, `finance`, `participation`,
    `innovation`, `governance`, `services`."""
    frequency: str = "irregular"
    """How often the data changes: `continuous`, `hourly`, `daily`, `monthly`, `irregular`."""
    time_column: str | None = None
    """A column of the `Select` holding each record's time: its range is the temporal
    coverage and its latest value the data's last modification."""
    spatial: bool = False
    """Whether records carry `latitude` and `longitude` columns within the city."""


@dataclass(frozen=True)
class Manifest:
    """What a module brings to the platform."""

    name: str
    title: str
    """An English message id marked with `N_()`, translated in the module's catalogue."""
    depends_on: tuple[str, ...] = ()
    api: Callable[[], APIRouter] | None = None
    """Router mounted at /api/v1/<name>."""
    root_api: Callable[[], APIRouter] | None = None
    """Routes at paths an outside standard fixes (CKAN's `/api/3/action/…`), mounted at the
    site root before the pages; each path must say whose it is, as every route does."""
    pages: Callable[[], APIRouter] | None = None
    """Router of server-rendered pages, mounted at the site root."""
    cli: Callable[[], Typer] | None = None
    """Sub-commands: `smartcity <cli_name or name> …`."""
    cli_name: str | None = None
    migrations: Path | None = None
    """Folder of this module's Alembic revisions (branch label = module name)."""
    templates: Path | None = None
    locales: Path | None = None
    """Folder of this module's message catalogues, for a module without templates (a module
    with templates keeps them beside its templates folder)."""
    rules: Sequence[Rule] = ()
    """Every authorisation rule this module's routes use (documented, matrix-tested)."""
    seed: Callable[[UnitOfWork, Platform], None] | None = None
    """Loads this module's part of the demo city."""
    nav: tuple[tuple[str, str], ...] = ()
    """Public links for the portal header: (English message id marked with N_() and translated
    in the module's catalogue, path)."""
    home_partial: str | None = None
    """A template included on the portal's home page (e.g. the chat widget)."""
    citizen_cards: Callable[[Principal], list[PortalCard]] | None = None
    staff_cards: Callable[[Principal], list[PortalCard]] | None = None
    on_startup: Callable[[Platform], None] | None = None
    """Wires services into the platform (an authenticator, event handlers)."""
    settings: type[BaseSettings] | None = None
    """This module's own settings (`SMARTCITY_<NAME>_*`), documented in docs/<name>.md."""
    tasks: Mapping[str, str] = field(default_factory=dict)
    """Jobs the worker runs: name (`<module>.<what>`) → `"package.module:function"`, a
    function of (platform, payload); enqueued with `uow.enqueue` or by a schedule."""
    schedules: tuple[Schedule, ...] = ()
    """Cron-like schedules of this module's tasks."""
    datasets: tuple[Dataset, ...] = ()
    """Open datasets this module publishes (listed by `opendata`, served by its DataStore)."""
    subscribes: tuple[tuple[str, str], ...] = ()
    """(event class as `"package.module:Class"`, task name): the task gets each committed
    event of that class, at least once (de-duplicate on `event.id`)."""


def lazy(target: str) -> Callable[..., Any]:
    """A factory for `"package.module:name"` that imports it only when called.

    Manifests use it for their routers, CLI and seeds, so importing a module does nothing.
    """
    module_name, _, attribute = target.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module_name), attribute)(*args, **kwargs)

    call.__qualname__ = f"lazy({target})"
    return call


class UnknownModule(LookupError):
    """A module named in settings that does not exist."""


def shipped_modules() -> tuple[str, ...]:
    """Every module package under `smartcity.modules`, by name."""
    package = importlib.import_module("smartcity.modules")
    return tuple(sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.ispkg))


def load_manifests(names: Sequence[str]) -> list[Manifest]:
    """Import the named modules (all shipped ones when empty), dependencies first."""
    manifests: dict[str, Manifest] = {}
    pending = list(names) or list(shipped_modules())
    while pending:
        name = pending.pop()
        if name in manifests:
            continue
        try:
            package = importlib.import_module(f"smartcity.modules.{name}")
        except ModuleNotFoundError as exc:
            raise UnknownModule(f"no module called {name!r}") from exc
        manifest: Manifest = package.manifest
        manifests[name] = manifest
        pending.extend(manifest.depends_on)
    ordered: list[Manifest] = []
    placed: set[str] = set()

    def place(manifest: Manifest, trail: tuple[str, ...]) -> None:
        if manifest.name in placed:
            return
        if manifest.name in trail:
            raise ValueError(f"modules depend on each other in a cycle: {' → '.join(trail)}")
        for dependency in manifest.depends_on:
            place(manifests[dependency], (*trail, manifest.name))
        placed.add(manifest.name)
        ordered.append(manifest)

    for manifest in sorted(manifests.values(), key=lambda m: m.name):
        place(manifest, ())
    return ordered


def catalogue_dir(manifest: Manifest) -> Path | None:
    """Where a module's message catalogues are: declared, or beside its templates."""
    if manifest.locales is not None:
        return manifest.locales
    return manifest.templates.parent / "locales" if manifest.templates else None
