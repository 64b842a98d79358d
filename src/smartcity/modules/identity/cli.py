"""`smartcity admin …`: people, organisations and tokens from the command line."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import typer

from smartcity.core.auth import Role, system_actor
from smartcity.core.console import fail_cleanly
from smartcity.core.errors import InvalidInput
from smartcity.core.platform import Platform
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity import service
from smartcity.modules.identity.scopes import FULL_ACCESS, checked_scopes, vocabulary
from smartcity.modules.identity.values import (
    OrganisationKind,
    OrganisationView,
    UserView,
    VerificationLevel,
)


def build_cli() -> typer.Typer:
    """The `admin` command group."""
    app = typer.Typer(
        help="管理 Administration: citizens, staff, organisations and tokens.", no_args_is_help=True
    )

    @app.command("create-citizen")
    def create_citizen(
        ctx: typer.Context,
        national_id: Annotated[str, typer.Option("--national-id", help="e.g. A123456789")],
        name: Annotated[str, typer.Option(help="Full name")],
        email: Annotated[str | None, typer.Option(help="E-mail address")] = None,
        phone: Annotated[str | None, typer.Option(help="Phone number")] = None,
        password: Annotated[str | None, typer.Option(help="Portal password")] = None,
        verified: Annotated[bool, typer.Option(help="Identity checked (gold tier)")] = False,
        birth_date: Annotated[
            datetime | None,
            typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD, as on the ID card"),
        ] = None,
        lives_in: Annotated[
            str | None, typer.Option(help="District code of the household registration")
        ] = None,
        studies_in: Annotated[str | None, typer.Option(help="District code of the school")] = None,
        works_in: Annotated[str | None, typer.Option(help="District code of the workplace")] = None,
    ) -> None:
        """Give a citizen a digital ID; prints the citizen's id."""
        platform: Platform = ctx.obj
        with fail_cleanly(), platform.unit_of_work(system_actor("cli")) as uow:
            user = service.register_citizen(
                uow,
                platform.keys,
                national_id=national_id,
                name=name,
                email=email,
                phone=phone,
                password=password,
                verification_level=VerificationLevel.VERIFIED
                if verified
                else VerificationLevel.BASIC,
            )
            if birth_date or lives_in or studies_in or works_in:
                service.record_citizen_facts(
                    uow,
                    user,
                    birth_date=birth_date.date() if birth_date else None,
                    lives_in=lives_in,
                    studies_in=studies_in,
                    works_in=works_in,
                )
            user_id = user.id
        typer.echo(str(user_id))

    @app.command("create-token")
    def create_token(
        ctx: typer.Context,
        role: Annotated[Role, typer.Option(help="Who the token acts as")],
        department: Annotated[str | None, typer.Option(help="Department code (officer)")] = None,
        provider: Annotated[str | None, typer.Option(help="Provider code (provider)")] = None,
        citizen: Annotated[str | None, typer.Option(help="Citizen id or national ID")] = None,
        organisation: Annotated[
            str | None, typer.Option(help="Organisation code (device owner or vendor)")
        ] = None,
        label: Annotated[str, typer.Option(help="What the token is for")] = "created on the CLI",
        scope: Annotated[
            list[str] | None,
            typer.Option(help="A scope the token may use (repeat it; default *: all of its role)"),
        ] = None,
    ) -> None:
        """Print only a bearer token for the API (creating the organisation if missing)."""
        platform: Platform = ctx.obj
        with fail_cleanly(), platform.unit_of_work(system_actor("cli")) as uow:
            issued = _issue(
                uow,
                platform,
                role,
                department=department,
                provider=provider,
                citizen=citizen,
                organisation=organisation,
                label=label,
                scopes=scope or [FULL_ACCESS],
            )
        typer.echo(issued)

    @app.command("create-staff")
    def create_staff(
        ctx: typer.Context,
        role: Annotated[Role, typer.Option(help="officer or admin")],
        name: Annotated[str, typer.Option(help="Full name")],
        email: Annotated[str, typer.Option(help="Sign-in e-mail")],
        password: Annotated[
            str, typer.Option(help="Portal password", prompt=True, hide_input=True)
        ],
        department: Annotated[str | None, typer.Option(help="Department code")] = None,
    ) -> None:
        """Create an officer or an administrator who signs in to the portal."""
        platform: Platform = ctx.obj
        with fail_cleanly(), platform.unit_of_work(system_actor("cli")) as uow:
            if department:
                service.ensure_organisation(uow, department, OrganisationKind.DEPARTMENT)
            user = service.create_staff(
                uow,
                role=role,
                name=name,
                email=email,
                password=password,
                department_code=department,
            )
            user_id = user.id
        typer.echo(str(user_id))

    return app


def _issue(
    uow: UnitOfWork,
    platform: Platform,
    role: Role,
    *,
    department: str | None,
    provider: str | None,
    citizen: str | None,
    organisation: str | None,
    label: str,
    scopes: list[str],
) -> str:
    known = vocabulary(platform)
    # Checked before anything is created, so a typo leaves no organisation or person behind.
    granted = checked_scopes(role, scopes, known)
    user: UserView | None = None
    owner: OrganisationView | None = None
    if role == Role.CITIZEN:
        if not citizen:
            raise InvalidInput("--citizen is required for a citizen token", code="citizen_required")
        user = _citizen(uow, platform, citizen)
    elif role == Role.ADMIN:
        user = service.create_staff(
            uow,
            role=Role.ADMIN,
            name="CLI administrator",
            email=f"admin-{uuid.uuid4().hex[:8]}@cli.invalid",
        )
    else:
        kind = service.ROLE_ORGANISATION[role]
        code = {Role.OFFICER: department, Role.PROVIDER: provider}.get(role) or organisation
        if not code:
            flag = {Role.OFFICER: "--department", Role.PROVIDER: "--provider"}.get(
                role, "--organisation"
            )
            raise InvalidInput(
                f"{flag} is required for a {role.value} token", code="owner_required"
            )
        owner = service.ensure_organisation(uow, code, kind)
    issued = service.issue_api_key(
        uow,
        role=role,
        label=label,
        scopes=granted,
        vocabulary=known,
        user=user,
        organisation=owner,
    )
    return issued.token


def _citizen(uow: UnitOfWork, platform: Platform, reference: str) -> UserView:
    try:
        return service.get_user(uow.session, str(uuid.UUID(reference)))
    except ValueError:
        found = service.find_citizen(uow.session, platform.keys, reference)
        if found is None:
            raise InvalidInput(f"no citizen {reference}", code="citizen_not_found") from None
        return found
