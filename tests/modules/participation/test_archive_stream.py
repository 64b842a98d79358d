"""The `.bel` archive is streamed from the stored records: chunks of bounded size, made while
the ballots are read, the same bytes however they are cut."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from smartcity.core.platform import Platform
from smartcity.modules.participation import belenios, service
from tests.conftest import Actors
from tests.modules.participation.conftest import new_vote

BALLOTS = 40
BALLOT_BYTES = 7_000
"""About the size of a one-question ballot; the stream never looks inside."""


class _Board:
    """Ballots read one at a time, counting how many were read."""

    def __init__(self) -> None:
        self.read = 0

    def __call__(self) -> Iterator[bytes]:
        for number in range(BALLOTS):
            self.read += 1
            yield belenios.dumps({"ballot": number, "padding": "x" * BALLOT_BYTES})


def _record(board: _Board) -> belenios.Record:
    credentials = sorted(str(10**600 + n) for n in range(BALLOTS))
    return belenios.Record(
        election=b'{"uuid":"test"}',
        trustees=[],
        credentials=lambda: iter(credentials),
        ballots=board,
        tally=[[{"alpha": "1", "beta": "1"}]],
        decryptions=[(1, {"decryption_factors": [["1"]], "decryption_proofs": [[]]})],
        result=[[0]],
    )


def test_the_archive_comes_in_bounded_chunks_made_while_the_ballots_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = b"".join(belenios.stream_archive(_record(_Board()), 1))
    monkeypatch.setattr(belenios, "ARCHIVE_CHUNK", 16 * 1024)
    board = _Board()
    chunks, read_at_each = [], []
    for chunk in belenios.stream_archive(_record(board), 1):
        chunks.append(chunk)
        read_at_each.append(board.read)

    assert b"".join(chunks) == whole
    # A chunk passes the bound by at most one member (a ballot and its event, with headers).
    assert max(len(c) for c in chunks) < 16 * 1024 + BALLOT_BYTES + 4 * 512
    assert len(chunks) > BALLOTS * BALLOT_BYTES // (16 * 1024) // 2
    # Chunks go out while the ballots are being read, not once they all are.
    assert read_at_each[0] < BALLOTS
    assert len(set(read_at_each)) > 2


def test_the_streamed_archive_holds_every_record_in_order() -> None:
    whole = b"".join(belenios.stream_archive(_record(_Board()), 1))
    with tarfile.open(fileobj=io.BytesIO(whole)) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    assert members[0][0] == "BELENIOS"
    records = dict(members)
    for name, value in members[1:]:
        digest, kind, _json = name.split(".")
        assert belenios.sha256_hex(value) == digest
        assert kind in {"data", "event"}
    events = [json.loads(v) for n, v in members if n.endswith(".event.json")]
    assert [e["type"] for e in events] == ["Setup"] + ["Ballot"] * BALLOTS + [
        "EndBallots",
        "EncryptedTally",
        "PartialDecryption",
        "Result",
    ]
    setup = json.loads(records[f"{events[0]['payload']}.data.json"])
    credentials = json.loads(records[f"{setup['credentials']}.data.json"])
    assert credentials == sorted(str(10**600 + n) for n in range(BALLOTS))
    summary = json.loads(records[f"{events[-3]['payload']}.data.json"])
    assert summary["num_tallied"] == BALLOTS


def test_the_archive_download_is_a_tar_stream(client: TestClient, actors: Actors) -> None:
    vote, _officer = new_vote(client, actors)
    with client.stream("GET", f"/api/v1/participation/votes/{vote['id']}/archive") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-tar"
        # Streamed: no length known before the last chunk.
        assert "content-length" not in response.headers
        body = response.read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames()[0] == "BELENIOS"


@pytest.mark.postgres  # a SQLite read transaction is one snapshot already
def test_a_download_reads_one_snapshot_of_the_board(platform: Platform) -> None:
    with platform.db.read_session() as session:
        service.read_one_snapshot(session)
        isolation = session.execute(text("SHOW transaction_isolation")).scalar()
    assert isolation == "repeatable read"
