"""Threshold decryption: three outside trustees share one key through belenios-tool's
`generate-trustee-key-threshold` ceremony, relayed by the platform; any two of them decrypt with
`decrypt-threshold`, beside the platform's own `Single` share, and `belenios-tool election
verify` accepts the archive the API serves."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from smartcity.core.platform import Platform
from smartcity.modules.participation.manifest import manifest
from smartcity.modules.participation.settings import ParticipationSettings
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import (
    needs_belenios_tool,
    new_vote,
    take_credential,
    tool,
    tool_ballot,
    unpack_archive,
)

MEMBERS = (2, 3, 4)


@pytest.fixture
def two_of_three(platform: Platform) -> None:
    """The city's share on the platform; committee, observer and council share a 2-of-3 key."""
    platform.module_settings["participation"] = ParticipationSettings(
        trustees={  # type: ignore[dict-item]
            "city": "platform",
            "committee": "outside",
            "observer": "outside",
            "council": "outside",
        },
        threshold=2,
    )


def _step(tmp: Path, *args: str, stdin: str | None = None) -> str:
    """One step of belenios-tool's threshold ceremony in a trustee's own directory."""
    import subprocess

    from tests.modules.participation.conftest import BELENIOS_TOOL

    assert BELENIOS_TOOL is not None
    done = subprocess.run(
        [BELENIOS_TOOL, "setup", "generate-trustee-key-threshold", "--group", "BELENIOS-2048",
         *args],
        cwd=tmp, input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _upload(
    clients: dict[int, TestClient], vote_id: str, position: int, what: str, body: dict[str, Any]
) -> Any:
    """An upload from trustee `position`'s own computer (each address has its rate limit)."""
    return clients[position].post(
        f"/api/v1/participation/votes/{vote_id}/trustees/{position}/{what}", json=body
    )


@needs_belenios_tool
@pytest.mark.usefixtures("two_of_three")
def test_any_two_of_three_outside_trustees_decrypt_with_the_platforms_share(
    app: Any, client: TestClient, actors: Actors, tmp_path: Path
) -> None:
    clients = {p: TestClient(app, client=(f"192.0.2.{p}", 50000)) for p in MEMBERS}
    vote, officer = new_vote(client, actors)
    vote_id = vote["id"]
    assert (vote["stage"], vote["threshold"]) == ("publicity", 2)
    assert [t["custody"] for t in vote["trustees"]] == ["platform", *["outside"] * 3]
    tokens = {t["position"]: t["upload_token"] for t in vote["trustees"][1:]}
    state = client.get(f"/api/v1/participation/votes/{vote_id}/threshold").json()
    assert state == {"threshold": 2, "step": "certificates", "members": [2, 3, 4], "done": []}
    # Each trustee works in a directory of their own; only public files reach the platform.
    homes = {position: tmp_path / f"trustee{position}" for position in MEMBERS}
    for home in homes.values():
        home.mkdir()

    early = _upload(clients, vote_id, 2, "polynomial", {"token": tokens[2], "polynomial": {}})
    assert (early.status_code, early.json()["code"]) == (409, "ceremony_step_refused")
    single = client.post(
        f"/api/v1/participation/votes/{vote_id}/trustees/2/public-key",
        json={"token": tokens[2], "public_key": {}},
    )
    assert single.json()["code"] == "ceremony_step_refused"

    # Step 1: certificates.
    for position, home in homes.items():
        _step(home, "--step", "1")
        (cert,) = home.glob("*.cert")
        certificate = json.loads(cert.read_text())
        if position == 2:
            forged = {**certificate, "message": certificate["message"].replace("1", "2", 1)}
            bad = _upload(
                clients, vote_id, 2, "certificate", {"token": tokens[2], "certificate": forged}
            )
            assert (bad.status_code, bad.json()["code"]) == (400, "invalid_ceremony_step")
            wrong = _upload(
                clients, vote_id, 2, "certificate", {"token": tokens[3], "certificate": certificate}
            )
            assert wrong.json()["code"] == "trustee_token_invalid"
        taken = _upload(
            clients,
            vote_id,
            position,
            "certificate",
            {"token": tokens[position], "certificate": certificate},
        )
        assert taken.status_code == 200, taken.text
    assert taken.json()["step"] == "polynomials"

    # Steps 2 and 3: every trustee checks all certificates, then makes their polynomial.
    certs = client.get(f"/api/v1/participation/votes/{vote_id}/threshold/certificates")
    assert certs.status_code == 200
    for position, home in homes.items():
        (home / "certs.jsons").write_text(certs.text)
        _step(home, "--step", "2", "--certs", "certs.jsons")
        (key,) = home.glob("*.key")
        polynomial = json.loads(
            _step(
                home, "--step", "3", "--certs", "certs.jsons", "--key", key.name, "--threshold", "2"
            )
        )
        if position == 2:
            tampered = {**polynomial, "secrets": polynomial["secrets"][:2]}
            bad = _upload(
                clients, vote_id, 2, "polynomial", {"token": tokens[2], "polynomial": tampered}
            )
            assert (bad.status_code, bad.json()["code"]) == (400, "invalid_ceremony_step")
        taken = _upload(
            clients,
            vote_id,
            position,
            "polynomial",
            {"token": tokens[position], "polynomial": polynomial},
        )
        assert taken.status_code == 200, taken.text
    assert taken.json()["step"] == "verification"

    # Step 5: each trustee checks the shares sent to them and proves their verification key.
    for position, home in homes.items():
        given = client.get(
            f"/api/v1/participation/votes/{vote_id}/threshold/verification-input/{position}"
        )
        assert given.status_code == 200
        (key,) = home.glob("*.key")
        output = json.loads(
            _step(
                home, "--step", "5", "--certs", "certs.jsons", "--key", key.name, stdin=given.text
            )
        )
        if position == 2:
            swapped = {**output, "public_key": vote["trustees"][0]["public_key"]}
            bad = _upload(
                clients,
                vote_id,
                2,
                "verification",
                {"token": tokens[2], "verification_output": swapped},
            )
            assert bad.status_code == 400
        taken = _upload(
            clients,
            vote_id,
            position,
            "verification",
            {"token": tokens[position], "verification_output": output},
        )
        assert taken.status_code == 200, taken.text
    assert taken.json() == {"threshold": 2, "step": "done", "members": [2, 3, 4], "done": []}
    opened = client.get(f"/api/v1/participation/votes/{vote_id}").json()
    assert opened["stage"] == "voting"
    assert all(t["public_key"] for t in opened["trustees"])

    # The tool accepts the setup: one `Single` share and one `Pedersen` group.
    unpack_archive(client, vote_id, tmp_path)
    assert tool("election", "verify", "--dir", ".", cwd=tmp_path).returncode == 0
    voters = [actors.citizen()[1] for _ in range(3)]
    choices = [[[1, 0], [1, 1, 0]], [[0, 1], [0, 0, 1]], [[1, 0], [0, 0, 0]]]
    for voter, choice in zip(voters, choices, strict=True):
        credential = take_credential(client, vote_id, voter)
        cast = client.post(
            f"/api/v1/participation/votes/{vote_id}/ballots",
            content=tool_ballot(tmp_path, credential, choice),
            headers=bearer(voter),
        )
        assert cast.status_code == 201, cast.text

    # The close: the platform's share decrypts; any two of the three members are awaited.
    closed = client.post(f"/api/v1/participation/votes/{vote_id}/tally", headers=bearer(officer))
    assert (closed.status_code, closed.json()["awaiting_trustees"]) == (202, [2, 3, 4])
    unpack_archive(client, vote_id, tmp_path)

    def decrypt(position: int) -> dict[str, Any]:
        home = homes[position]
        dkey = client.get(
            f"/api/v1/participation/votes/{vote_id}/threshold/decryption-key/{position}"
        )
        assert dkey.status_code == 200
        (home / "dkey").write_text(dkey.text)
        (key,) = home.glob("*.key")
        made = tool(
            "election", "decrypt-threshold", "--dir", str(tmp_path), "--key", key.name,
            "--decryption-key", "dkey", "--trustee-id", str(position), cwd=home,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        return dict(json.loads(made.stdout.splitlines()[0]))

    # A member's decryption proves itself against their own verification key only.
    third = decrypt(3)
    misplaced = _upload(
        clients, vote_id, 2, "partial-decryption", {"token": tokens[2], "partial_decryption": third}
    )
    assert (misplaced.status_code, misplaced.json()["code"]) == (400, "invalid_partial_decryption")
    one = _upload(
        clients, vote_id, 3, "partial-decryption", {"token": tokens[3], "partial_decryption": third}
    )
    assert (one.status_code, one.json()["awaiting_trustees"]) == (202, [2, 4])
    hidden = client.get(f"/api/v1/participation/votes/{vote_id}/result")
    assert hidden.json()["code"] == "result_not_published"
    two = _upload(
        clients,
        vote_id,
        4,
        "partial-decryption",
        {"token": tokens[4], "partial_decryption": decrypt(4)},
    )
    assert two.status_code == 200, two.text
    assert two.json()["result"] == [[2, 1], [1, 1, 1]]
    late = _upload(
        clients,
        vote_id,
        2,
        "partial-decryption",
        {"token": tokens[2], "partial_decryption": decrypt(2)},
    )
    assert late.json()["code"] == "not_awaiting_decryption"

    # The final archive: the platform's and two members' decryptions, and the result.
    unpack_archive(client, vote_id, tmp_path)
    verified = tool("election", "verify", "--dir", ".", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    recomputed = tool("election", "compute-result", "--dir", ".", cwd=tmp_path)
    assert '"result":[[2,1],[1,1,1]]' in recomputed.stdout.replace(" ", "")


@pytest.mark.parametrize(
    ("environment", "committee"),
    [
        ("demo", "platform"),
        ("test", "platform"),
        ("development", "outside"),
        ("production", "outside"),
    ],
)
def test_only_the_demo_and_the_tests_let_the_platform_play_every_trustee_by_default(
    environment: str, committee: str
) -> None:
    plan = ParticipationSettings().plan_in(environment)
    assert {h.value: c.value for h, c in plan.trustees.items()} == {
        "city": "platform",
        "committee": committee,
    }
    assert ParticipationSettings().refusal_in(environment) is None


def test_a_platform_holding_every_share_is_refused_at_start_up_outside_demo_and_tests(
    platform: Platform,
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(
        trustees={"city": "platform", "committee": "platform"}  # type: ignore[dict-item]
    )
    start_up = manifest.on_startup
    assert start_up is not None
    start_up(platform)  # the tests' environment may
    for environment in ("production", "development"):
        elsewhere = replace(
            platform, settings=platform.settings.model_copy(update={"environment": environment})
        )
        with pytest.raises(RuntimeError, match="could decrypt ballots alone"):
            start_up(elsewhere)


@pytest.mark.parametrize(
    "trustees",
    [
        {"city": "platform", "committee": "outside"},
        {"city": "outside", "committee": "outside", "observer": "platform"},
    ],
)
def test_a_threshold_needs_enough_outside_trustees(trustees: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="at least two outside trustees"):
        ParticipationSettings(trustees=trustees, threshold=3)  # type: ignore[arg-type]


def test_a_vote_whose_every_share_the_platform_holds_says_so_on_its_page(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    warning = "市府伺服器可自行解密任何選票"
    demo_like, _officer = new_vote(client, actors)
    assert warning in client.get(f"/participation/issues/{demo_like['id']}").text
    platform.module_settings["participation"] = ParticipationSettings(
        trustees={"city": "platform", "committee": "outside"}  # type: ignore[dict-item]
    )
    guarded, _officer = new_vote(client, actors)
    assert warning not in client.get(f"/participation/issues/{guarded['id']}").text
