"""The harvest console: staff of the department that runs the catalogue (and administrators)
add, edit, switch off and run harvest sources, and read each run's report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.departments import acts_for
from smartcity.core.repository import settings_of
from smartcity.modules.opendata import harvest, service, sources
from smartcity.modules.opendata.auth import HarvestConsole
from smartcity.modules.opendata.errors import NotDataOffice
from smartcity.modules.opendata.settings import OpendataSettings
from smartcity.modules.opendata.values import SourceKind

router = APIRouter(include_in_schema=False)

SourceName = Annotated[str, Path(max_length=40)]
Url = Annotated[str, Form(min_length=1, max_length=500)]
HOME = "/staff/opendata/harvest"


def _office(ctx: HarvestConsole) -> None:
    office = settings_of(ctx.platform, "opendata", OpendataSettings).office_department
    if not acts_for(ctx.principal, office):
        raise NotDataOffice(f"only the {office} office and administrators keep harvest sources")


def _allow_private(ctx: HarvestConsole) -> bool:
    return ctx.platform.settings.outbound_private_allowed


@router.get(HOME, response_class=HTMLResponse)
def console(ctx: HarvestConsole) -> Response:
    """Every harvest source, its state and newest run; a form to add one."""
    _office(ctx)
    with ctx.read() as session:
        found = sources.list_sources(session)
    return ctx.render("opendata/harvest.html", sources=found)


@router.post(HOME, response_class=HTMLResponse)
def add(
    ctx: HarvestConsole,
    name: Annotated[str, Form(min_length=2, max_length=40)],
    url: Url,
    kind: Annotated[SourceKind, Form()] = SourceKind.CKAN,
) -> Response:
    """Register another city's catalogue."""
    _office(ctx)
    with ctx.write() as uow:
        sources.require_free_name(uow.session, name)
        harvest.add_source(uow, name, url, allow_private=_allow_private(ctx), kind=kind)
    return RedirectResponse(f"{HOME}/{name}", status_code=303)


@router.get(HOME + "/{name}", response_class=HTMLResponse)
def source(name: SourceName, ctx: HarvestConsole) -> Response:
    """A source: its address, its state and its newest runs' reports."""
    _office(ctx)
    with ctx.read() as session:
        found = sources.get_source(session, name)
    return ctx.render("opendata/harvest_source.html", source=found)


@router.post(HOME + "/{name}", response_class=HTMLResponse)
def edit(name: SourceName, ctx: HarvestConsole, url: Url) -> Response:
    """Point a source at another address."""
    _office(ctx)
    with ctx.write() as uow:
        sources.change_url(uow, name, url, allow_private=_allow_private(ctx))
    return RedirectResponse(f"{HOME}/{name}", status_code=303)


@router.post(HOME + "/{name}/switch", response_class=HTMLResponse)
def switch(name: SourceName, ctx: HarvestConsole, on: Annotated[bool, Form()] = False) -> Response:
    """Switch a source off (the hourly harvest leaves it out) or back on."""
    _office(ctx)
    with ctx.write() as uow:
        sources.switch(uow, name, on=on)
    return RedirectResponse(f"{HOME}/{name}", status_code=303)


@router.post(HOME + "/{name}/run", response_class=HTMLResponse)
def run(name: SourceName, ctx: HarvestConsole) -> Response:
    """Harvest the source now; its report is the newest run on its page."""
    _office(ctx)
    with ctx.read() as session:
        sources.get_source(session, name)  # an unknown name is the console's 404
    service.harvest_source(ctx.platform, name)
    return RedirectResponse(f"{HOME}/{name}", status_code=303)
