"""belenios-tool is the oracle: its ballots are accepted and it verifies the archive we serve."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import (
    needs_belenios_tool,
    new_vote,
    take_credential,
    tool,
    tool_ballot,
    unpack_archive,
)


@needs_belenios_tool
def test_ballots_from_belenios_tool_are_counted_and_the_archive_verifies(
    client: TestClient, actors: Actors, tmp_path: Path
) -> None:
    vote, officer = new_vote(client, actors)
    vote_id = vote["id"]
    assert vote["stage"] == "voting"
    assert len(vote["trustees"]) == 2
    voters = [actors.citizen()[1] for _ in range(3)]
    credentials = [take_credential(client, vote_id, token) for token in voters]

    # The archive before any ballot verifies already, and the tool builds ballots from it.
    unpack_archive(client, vote_id, tmp_path)
    assert tool("election", "verify", "--dir", ".", cwd=tmp_path).returncode == 0
    choices = [
        [[1, 0], [1, 1, 0]],
        [[0, 1], [0, 0, 1]],
        [[1, 0], [0, 0, 0]],
    ]
    trackers = []
    for token, credential, choice in zip(voters, credentials, choices, strict=True):
        content = tool_ballot(tmp_path, credential, choice)
        cast = client.post(
            f"/api/v1/participation/votes/{vote_id}/ballots", content=content, headers=bearer(token)
        )
        assert cast.status_code == 201, cast.text
        trackers.append(cast.json()["tracker"])

    # The first voter changes their mind: the revote replaces the first ballot.
    revote = tool_ballot(tmp_path, credentials[0], [[0, 1], [0, 1, 0]])
    cast = client.post(
        f"/api/v1/participation/votes/{vote_id}/ballots", content=revote, headers=bearer(voters[0])
    )
    assert cast.status_code == 201, cast.text
    board = client.get(f"/api/v1/participation/votes/{vote_id}/board").json()
    assert [b["tracker"] for b in board] == [trackers[1], trackers[2], cast.json()["tracker"]]

    hidden = client.get(f"/api/v1/participation/votes/{vote_id}/result", headers=bearer(officer))
    assert hidden.status_code == 409
    assert hidden.json()["code"] == "result_not_published"

    unpack_archive(client, vote_id, tmp_path)
    assert tool("election", "verify", "--dir", ".", cwd=tmp_path).returncode == 0

    tallied = client.post(f"/api/v1/participation/votes/{vote_id}/tally", headers=bearer(officer))
    assert tallied.status_code == 200, tallied.text
    expected = [[1, 2], [0, 1, 1]]
    assert tallied.json()["result"] == expected
    result = client.get(f"/api/v1/participation/votes/{vote_id}/result").json()
    assert result["result"] == expected
    assert result["ballots"] == 3

    unpack_archive(client, vote_id, tmp_path)
    verified = tool("election", "verify", "--dir", ".", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    # The tool recomputes the result from the archive and finds ours.
    recomputed = tool("election", "compute-result", "--dir", ".", cwd=tmp_path)
    assert recomputed.returncode == 0, recomputed.stderr
    assert '"result":[[1,2],[0,1,1]]' in recomputed.stdout.replace(" ", "")

    # A ballot after the tally is refused and nothing is stored.
    late = tool_ballot(tmp_path, credentials[1], [[1, 0], [0, 0, 0]])
    refused = client.post(
        f"/api/v1/participation/votes/{vote_id}/ballots", content=late, headers=bearer(voters[1])
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "vote_not_open"
    assert len(client.get(f"/api/v1/participation/votes/{vote_id}/board").json()) == 3
