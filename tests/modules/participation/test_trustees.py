"""Outside trustees: a key made off the platform with belenios-tool, a partial decryption made
with it after the close, both checked by their proofs; the result needs every trustee."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
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


@pytest.fixture
def outside_committee(platform: Platform) -> None:
    """The committee holds its share off the platform: the server alone cannot decrypt."""
    platform.module_settings["participation"] = ParticipationSettings(
        trustees={"city": "platform", "committee": "outside"}  # type: ignore[dict-item]
    )


def _events(archive_dir: Path) -> list[str]:
    import tarfile

    (bel,) = archive_dir.glob("*.bel")
    with tarfile.open(bel) as tar:
        kinds = []
        for member in tar.getmembers():
            if member.name.endswith(".event.json"):
                handle = tar.extractfile(member)
                assert handle is not None
                kinds.append(json.loads(handle.read())["type"])
    return kinds


@needs_belenios_tool
@pytest.mark.usefixtures("outside_committee")
def test_an_outside_trustee_keys_and_decrypts_with_belenios_tool(
    client: TestClient, actors: Actors, tmp_path: Path
) -> None:
    vote, officer = new_vote(client, actors)
    vote_id = vote["id"]
    # No election yet: its key needs the committee's share.
    assert vote["stage"] == "publicity"
    assert vote["election_fingerprint"] is None
    city, committee = vote["trustees"]
    assert (city["custody"], city["upload_token"]) == ("platform", None)
    assert committee["custody"] == "outside"
    assert committee["public_key"] is None
    token = committee["upload_token"]
    assert token
    shown = client.get(f"/api/v1/participation/votes/{vote_id}").json()
    assert shown["trustees"][1]["upload_token"] is None
    citizen = actors.citizen()[1]
    early = client.post(
        f"/api/v1/participation/votes/{vote_id}/credential", headers=bearer(citizen)
    )
    assert early.status_code == 409

    # The trustee makes their key off the platform; only the public half travels.
    keys = tmp_path / "trustee"
    keys.mkdir()
    made = tool("setup", "generate-trustee-key", "--group", "BELENIOS-2048", cwd=keys)
    assert made.returncode == 0, made.stderr
    (pubkey,) = keys.glob("*.pubkey")
    (privkey,) = keys.glob("*.privkey")
    public_key = json.loads(pubkey.read_text())
    url = f"/api/v1/participation/votes/{vote_id}/trustees/2/public-key"

    wrong = client.post(url, json={"token": "not-it", "public_key": public_key})
    assert (wrong.status_code, wrong.json()["code"]) == (403, "trustee_token_invalid")
    forged = {**public_key, "public_key": str(int(public_key["public_key"]) + 1)}
    bad = client.post(url, json={"token": token, "public_key": forged})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_trustee_key")
    city_slot = client.post(
        f"/api/v1/participation/votes/{vote_id}/trustees/1/public-key",
        json={"token": token, "public_key": public_key},
    )
    assert (city_slot.status_code, city_slot.json()["code"]) == (404, "trustee_not_found")

    registered = client.post(url, json={"token": token, "public_key": public_key})
    assert registered.status_code == 200, registered.text
    assert registered.json()["stage"] == "voting"
    assert registered.json()["trustees"][1]["public_key"] == public_key["public_key"]
    again = client.post(url, json={"token": token, "public_key": public_key})
    assert (again.status_code, again.json()["code"]) == (409, "trustee_key_registered")

    # The trustee checks their key is the one the election uses, in the served archive.
    unpack_archive(client, vote_id, tmp_path)
    verified = tool("election", "verify", "--dir", ".", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr

    voters = [citizen, actors.citizen()[1], actors.citizen()[1]]
    credentials = [take_credential(client, vote_id, t) for t in voters]
    choices = [[[1, 0], [1, 1, 0]], [[0, 1], [0, 0, 1]], [[1, 0], [0, 0, 0]]]
    for voter, credential, choice in zip(voters, credentials, choices, strict=True):
        cast = client.post(
            f"/api/v1/participation/votes/{vote_id}/ballots",
            content=tool_ballot(tmp_path, credential, choice),
            headers=bearer(voter),
        )
        assert cast.status_code == 201, cast.text

    decryption_url = f"/api/v1/participation/votes/{vote_id}/trustees/2/partial-decryption"
    unpack_archive(client, vote_id, tmp_path)
    too_early = client.post(
        decryption_url,
        json={"token": token, "partial_decryption": {"decryption_factors": []}},
    )
    assert (too_early.status_code, too_early.json()["code"]) == (409, "not_awaiting_decryption")

    # The tally closes the vote; the platform's share decrypts, the committee's is awaited.
    closed = client.post(f"/api/v1/participation/votes/{vote_id}/tally", headers=bearer(officer))
    assert closed.status_code == 202, closed.text
    assert closed.json() == {
        "stage": "tallying",
        "ballots": 3,
        "awaiting_trustees": [2],
        "result": None,
        "archive_hash": None,
    }
    still = client.post(f"/api/v1/participation/votes/{vote_id}/tally", headers=bearer(officer))
    assert (still.status_code, still.json()["awaiting_trustees"]) == (202, [2])
    hidden = client.get(f"/api/v1/participation/votes/{vote_id}/result")
    assert hidden.json()["code"] == "result_not_published"
    late = client.post(
        f"/api/v1/participation/votes/{vote_id}/ballots",
        content=tool_ballot(tmp_path, credentials[1], [[1, 0], [0, 0, 0]]),
        headers=bearer(voters[1]),
    )
    assert late.status_code == 409

    # The trustee downloads the archive with the encrypted tally and decrypts with the tool.
    unpack_archive(client, vote_id, tmp_path)
    assert tool("election", "verify", "--dir", ".", cwd=tmp_path).returncode == 0
    decrypted = tool(
        "election", "decrypt", "--dir", ".", "--privkey", str(privkey), "--trustee-id", "2",
        cwd=tmp_path,
    )  # fmt: skip
    assert decrypted.returncode == 0, decrypted.stderr
    # Its first line is the partial decryption; the second, the archive's wrapper naming the owner.
    first_line = decrypted.stdout.splitlines()[0]
    partial = json.loads(first_line)

    tampered = json.loads(first_line)
    tampered["decryption_factors"][0][0] = tampered["decryption_factors"][0][1]
    refused = client.post(decryption_url, json={"token": token, "partial_decryption": tampered})
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_partial_decryption")
    malformed = client.post(
        decryption_url, json={"token": token, "partial_decryption": {"decryption_factors": 1}}
    )
    assert malformed.status_code == 400

    done = client.post(decryption_url, json={"token": token, "partial_decryption": partial})
    assert done.status_code == 200, done.text
    expected = [[2, 1], [1, 1, 1]]
    assert done.json()["result"] == expected
    assert done.json()["stage"] == "results"
    twice = client.post(decryption_url, json={"token": token, "partial_decryption": partial})
    assert twice.status_code == 409
    assert client.get(f"/api/v1/participation/votes/{vote_id}/result").json()["result"] == expected

    # The final archive carries both partial decryptions and the result; the tool agrees.
    unpack_archive(client, vote_id, tmp_path)
    verified = tool("election", "verify", "--dir", ".", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert _events(tmp_path).count("PartialDecryption") == 2
    assert _events(tmp_path)[-1] == "Result"
    recomputed = tool("election", "compute-result", "--dir", ".", cwd=tmp_path)
    assert '"result":[[2,1],[1,1,1]]' in recomputed.stdout.replace(" ", "")


def test_with_the_platform_holding_every_share_the_tally_publishes_at_once(
    client: TestClient, actors: Actors, tmp_path: Path
) -> None:
    vote, officer = new_vote(client, actors)
    assert [t["custody"] for t in vote["trustees"]] == ["platform", "platform"]
    tallied = client.post(
        f"/api/v1/participation/votes/{vote['id']}/tally", headers=bearer(officer)
    )
    assert tallied.status_code == 200
    assert tallied.json()["awaiting_trustees"] == []
    assert tallied.json()["result"] == [[0, 0], [0, 0, 0]]
    # No outside trustee, so nobody can upload.
    refused = client.post(
        f"/api/v1/participation/votes/{vote['id']}/trustees/2/partial-decryption",
        json={"token": "x", "partial_decryption": {}},
    )
    assert refused.json()["code"] == "trustee_not_found"


def test_settings_refuse_a_single_trustee() -> None:
    with pytest.raises(ValueError, match="at least two trustees"):
        ParticipationSettings(trustees={"city": "platform"})  # type: ignore[dict-item]
