"""The voting page's own client (web/static/belenios.js), run in Node: its ballots are accepted
like any Belenios client's, and belenios-tool verifies the archive holding them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.modules.participation import belenios
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import (
    needs_belenios_tool,
    new_vote,
    take_credential,
    tool,
    unpack_archive,
)

CLIENT = Path(__file__).resolve().parents[3] / "src/smartcity/web/static/belenios.js"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

RUN = """
const client = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const job = JSON.parse(input);
  const group = client.groupOf(JSON.stringify(job.group));
  process.stdout.write(await client.makeBallot(job.election, group, job.credential, job.choices));
});
"""


def js_ballot(election: str, credential: str, choices: list[list[int]]) -> bytes:
    """A ballot made by the page's script."""
    assert NODE is not None
    document = json.loads(election)
    g = belenios.group(document["group"])
    job = {
        "election": election,
        "group": {"p": str(g.p), "q": str(g.q), "g": str(g.g)},
        "credential": credential,
        "choices": choices,
    }
    done = subprocess.run(
        [NODE, "-e", RUN, str(CLIENT)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.encode()


def _election_text(client: TestClient, vote_id: str, tmp_path: Path) -> str:
    import io
    import tarfile

    archive = client.get(f"/api/v1/participation/votes/{vote_id}/archive").content
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            assert extracted is not None
            text = extracted.read().decode()
            if member.name.endswith(".data.json") and '"questions"' in text:
                return text
    raise AssertionError("no election.json in the archive")


@needs_node
def test_a_ballot_made_by_the_pages_script_is_accepted_and_checked_like_any(
    client: TestClient, actors: Actors, tmp_path: Path
) -> None:
    vote, _officer = new_vote(client, actors)
    user_token = actors.citizen()[1]
    credential = take_credential(client, vote["id"], user_token)
    election = _election_text(client, vote["id"], tmp_path)
    content = js_ballot(election, credential, [[1, 0], [0, 1, 1]])
    parsed: dict[str, Any] = json.loads(content)
    assert parsed["election_uuid"] == vote["election_uuid"]

    cast = client.post(
        f"/api/v1/participation/votes/{vote['id']}/ballots",
        content=content,
        headers=bearer(user_token),
    )
    assert cast.status_code == 201, cast.text
    assert cast.json()["tracker"] == belenios.sha256_b64(content)

    # A choice the question's bounds forbid is refused by the script itself…
    with pytest.raises(AssertionError, match="choose between"):
        js_ballot(election, credential, [[1, 1], [0, 0, 0]])
    # …and a tampered choice is refused by the server.
    parsed["answers"][0]["choices"][0]["beta"] = parsed["answers"][0]["choices"][1]["beta"]
    forged = client.post(
        f"/api/v1/participation/votes/{vote['id']}/ballots",
        content=json.dumps(parsed),
        headers=bearer(user_token),
    )
    assert forged.status_code == 400
    assert forged.json()["code"] == "invalid_ballot"


@needs_node
@needs_belenios_tool
def test_belenios_tool_verifies_an_archive_of_browser_made_ballots(
    client: TestClient, actors: Actors, tmp_path: Path
) -> None:
    vote, officer = new_vote(client, actors)
    election = _election_text(client, vote["id"], tmp_path)
    for choices in ([[1, 0], [1, 0, 0]], [[0, 1], [1, 1, 0]]):
        token = actors.citizen()[1]
        credential = take_credential(client, vote["id"], token)
        cast = client.post(
            f"/api/v1/participation/votes/{vote['id']}/ballots",
            content=js_ballot(election, credential, choices),
            headers=bearer(token),
        )
        assert cast.status_code == 201, cast.text
    tallied = client.post(
        f"/api/v1/participation/votes/{vote['id']}/tally", headers=bearer(officer)
    )
    assert tallied.json()["result"] == [[1, 1], [2, 1, 0]]
    unpack_archive(client, vote["id"], tmp_path)
    verified = tool("election", "verify", "--dir", ".", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
