"""The commands the outside checks rely on, exactly as written in the issue."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smartcity.cli import build_cli
from tests.conftest import bearer


@pytest.fixture
def cli(database_url, settings_factory, monkeypatch):  # type: ignore[no-untyped-def]
    settings = settings_factory(database_url)
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", database_url)
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SMARTCITY_BASE_URL", "http://testserver")

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(build_cli(), list(args))
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def api(monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    from smartcity.app import create_app

    return TestClient(create_app())


def test_create_citizen_then_a_citizen_token(cli, api) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli(
        "admin", "create-citizen", "--national-id", "A123456789", "--name", "王小明"
    )
    assert code == 0
    citizen_id = out.strip()
    uuid.UUID(citizen_id)
    code, out, _err = cli("admin", "create-token", "--role", "citizen", "--citizen", citizen_id)
    assert code == 0
    token = out.strip()
    assert "\n" not in token and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    me = api.get("/api/v1/identity/me", headers=bearer(token)).json()
    assert me["id"] == citizen_id and me["role"] == "citizen" and me["name"] == "王小明"
    assert me["national_id_masked"] == "A123****89"


@pytest.mark.parametrize(
    ("args", "role", "organisation"),
    [
        (["--role", "admin"], "admin", None),
        (["--role", "officer", "--department", "DOT"], "officer", "DOT"),
        (["--role", "provider", "--provider", "SEVEN"], "provider", "SEVEN"),
        (["--role", "device", "--organisation", "LASS"], "device", "LASS"),
        (["--role", "vendor", "--organisation", "V-ONE"], "vendor", "V-ONE"),
    ],
)
def test_tokens_for_every_role(cli, api, args, role, organisation) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli("admin", "create-token", *args)
    assert code == 0, out
    me = api.get("/api/v1/identity/me", headers=bearer(out.strip())).json()
    assert me["role"] == role
    assert me["organisation"] == organisation
    if role == "officer":
        assert me["department"] == "DOT"


def test_a_second_token_reuses_the_organisation(cli, api) -> None:  # type: ignore[no-untyped-def]
    first = cli("admin", "create-token", "--role", "provider", "--provider", "SEVEN")[1].strip()
    second = cli("admin", "create-token", "--role", "provider", "--provider", "SEVEN")[1].strip()
    assert first != second
    ids = {api.get("/api/v1/identity/me", headers=bearer(t)).json()["id"] for t in (first, second)}
    assert len(ids) == 1


def test_cli_errors_are_one_clear_line(cli) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("admin", "create-citizen", "--national-id", "A123456788", "--name", "x")
    assert code == 1 and "invalid_national_id" in err and "Traceback" not in err
    code, _out, err = cli("admin", "create-token", "--role", "officer")
    assert code == 1 and "--department" in err
    code, _out, err = cli("admin", "create-token", "--role", "provider", "--provider", "DOT2")
    assert code == 0
    code, _out, err = cli("admin", "create-token", "--role", "officer", "--department", "DOT2")
    assert code == 1 and "organisation_kind_mismatch" in err


def test_create_token_takes_scopes(cli, api) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(
        "admin", "create-token", "--role", "provider", "--provider", "BANK9", "--scope", "bindings"
    )
    assert code == 0, err
    key = bearer(out.strip())
    assert api.get("/api/v1/identity/bindings/pending", headers=key).status_code == 200
    refused = api.get("/api/v1/payments/settlements", headers=key)
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"

    code, _out, err = cli(
        "admin", "create-token", "--role", "provider", "--provider", "BANK10", "--scope", "bogus"
    )
    assert code == 1 and "unknown_scope" in err
    # Refused before anything was made: the organisation does not exist.
    code, _out, err = cli("admin", "create-token", "--role", "officer", "--department", "BANK10")
    assert code == 0, err


def test_demo_load_is_idempotent_and_verifiable(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _err = cli("demo", "load")
    assert code == 0 and "loaded" in out
    code, out, _err = cli("demo", "load")
    assert code == 0 and "already" in out
    code, out, _err = cli("audit", "verify")
    assert code == 0 and out.startswith("ok:")


def test_create_citizen_records_the_facts_on_their_papers(cli, api) -> None:  # type: ignore[no-untyped-def]
    from smartcity.core.city import current_city
    from smartcity.modules.identity.seed import national_id

    home = current_city().districts[0].code
    code, out, err = cli(
        "admin", "create-citizen", "--national-id", national_id("B", 2, 7), "--name", "林小華",
        "--birth-date", "2001-07-04", "--lives-in", home,
    )  # fmt: skip
    assert code == 0, err
    code, token, _err = cli("admin", "create-token", "--role", "admin")
    shown = api.get(f"/api/v1/identity/citizens/{out.strip()}", headers=bearer(token.strip()))
    assert (shown.json()["birth_date"], shown.json()["lives_in"]) == ("2001-07-04", home)
    code, _out, err = cli(
        "admin", "create-citizen", "--national-id", national_id("B", 2, 8), "--name", "x",
        "--lives-in", "atlantis",
    )  # fmt: skip
    assert code != 0 and "atlantis" in err
