# ruff: noqa: E501  # report lines are easier to read whole
"""participation: downloading a tallied vote's `.bel` archive from the real server, at scale.

Run: `nice -n 5 .venv/bin/python bench/bench_participation_archive.py --voters 30579`
(`--cache DIR` as for bench_participation_ballots.py, whose election and ballots it reads, making
those missing as that one does; `--port`, default 8610; `--verify` also runs
`belenios-tool election verify` on the download)

A fresh SQLite database in a temporary folder gets a tallied vote of N voters as the platform
stores one — election.json, both trustees' public keys and partial decryptions, the encrypted
tally and the result, N public credentials and N ballots on the board — written straight into
the tables (the ballots were checked by the other bench). `smartcity serve` (one process, no job
worker) then serves `GET /api/v1/participation/votes/{id}/archive`, downloaded once into a file.
Printed: the archive's size, the download's wall time, and the server process's resident memory
(from /proc) before the download and at its peak during it (the peak restarted just before):
held whole, the archive would add at least its own size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

# The election and ballots are the other bench's, from its cache (bench/ is on the path).
from bench_participation_ballots import bench_election, voters_ballots
from served import start_without_worker, wait_until_healthy
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import Engine

from smartcity.core.db import normalise_url
from smartcity.core.migrate import upgrade
from smartcity.core.registry import load_manifests
from smartcity.modules.participation import belenios as b
from smartcity.modules.participation.models import Ballot, Credential, Trustee, Vote

ROOT = Path(__file__).resolve().parents[1]
BATCH = 2000


def _cached(cache: Path, voters: int) -> tuple[bytes, list[b.TrusteeKey], list[tuple[str, str]]]:
    """The other bench's election and its first N voters' ballots, made now if missing."""
    raw, keys = bench_election(cache)
    made = voters_ballots(raw, cache / "ballots.tsv", voters, workers=1)
    return raw, keys, [(public, ballot.decode()) for public, ballot in made]


def populate(
    engine: Engine, raw: bytes, keys: list[b.TrusteeKey], rows: list[tuple[str, str]]
) -> uuid.UUID:
    """A tallied vote of len(rows) voters, as the platform stores one."""
    election = b.Election.parse(raw)
    tally = b.encrypted_tally(election, (ballot.encode() for _public, ballot in rows))
    decryptions = [b.partial_decryption(election, key, tally) for key in keys]
    vote_id = uuid.uuid4()
    vote = {"id": vote_id, "title": "bench", "description": "", "department_code": "DOT",
            "stage": "results", "eligibility": {}, "origin": "government", "decisions": [],
            "seconds_needed": 0, "seconds": 0, "election_uuid": election.uuid,
            "election": raw.decode(), "fingerprint": election.fingerprint,
            "archive_timestamp": int(time.time()), "ballots_cast": len(rows),
            "encrypted_tally": b.tally_document(tally),
            "result": b.combine(election, tally, decryptions, len(rows))}  # fmt: skip
    trustees = [
        {"id": uuid.uuid4(), "vote_id": vote_id, "position": position, "holder": holder,
         "custody": "platform", "public_key": key.public, "decryption": decryption}
        for position, (holder, key, decryption) in enumerate(
            zip(["city", "observer"], keys, decryptions, strict=True), start=1
        )
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(Vote), [vote])
        connection.execute(insert(Trustee), trustees)
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            connection.execute(
                insert(Credential),
                [
                    {"id": uuid.uuid4(), "vote_id": vote_id, "public_credential": p}
                    for p, _ in batch
                ],
            )
            connection.execute(
                insert(Ballot),
                [
                    {"id": uuid.uuid4(), "vote_id": vote_id, "public_credential": public,
                     "tracker": b.sha256_b64(ballot.encode()), "content": ballot,
                     "position": start + offset}
                    for offset, (public, ballot) in enumerate(batch, start=1)
                ],
            )  # fmt: skip
    return vote_id


def resident_kb(pid: int, field: str) -> int:
    """VmRSS or VmHWM (the peak) of a process, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=300)
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench-participation")
    parser.add_argument("--port", type=int, default=8610)
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    raw, keys, rows = _cached(args.cache, args.voters)
    folder = Path(tempfile.mkdtemp(prefix="bench-participation-archive-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = create_engine(normalise_url(url))
    upgrade(engine, load_manifests(()))
    began = time.perf_counter()
    vote_id = populate(engine, raw, keys, rows)
    engine.dispose()
    del rows
    print(f"{args.voters:,} voters stored ({time.perf_counter() - began:.1f} s); load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    server = start_without_worker(url, folder, args.port)
    base = f"http://127.0.0.1:{args.port}"
    target = folder / "download" / f"{b.Election.parse(raw).uuid}.bel"
    target.parent.mkdir()
    try:
        wait_until_healthy(base, 240)
        # Warm the route once on a small answer, so that the peak below is the download's.
        httpx.get(f"{base}/api/v1/participation/votes/{vote_id}/board", timeout=600)
        before = resident_kb(server.pid, "VmRSS")
        # Writing 5 to clear_refs starts the peak (VmHWM) afresh from the memory held now.
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        loads = [os.getloadavg()[0]]
        stop = threading.Event()

        def sample_load() -> None:
            while not stop.wait(5):
                loads.append(os.getloadavg()[0])

        sampler = threading.Thread(target=sample_load)
        sampler.start()
        began = time.perf_counter()
        with (
            httpx.stream("GET", f"{base}/api/v1/participation/votes/{vote_id}/archive", timeout=600) as answer,
            target.open("wb") as out,
        ):  # fmt: skip
            answer.raise_for_status()
            chunks = 0
            for chunk in answer.iter_raw():
                out.write(chunk)
                chunks += 1
        downloading = time.perf_counter() - began
        stop.set()
        sampler.join()
        peak = resident_kb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(30)
    size = target.stat().st_size
    with tarfile.open(target, "r|") as tar:
        members = sum(1 for _ in tar)
    print(f"archive: {size / 1e6:.1f} MB, {members:,} records, {chunks:,} chunks read; downloaded in {downloading:.1f} s wall")  # fmt: skip
    print(f"server's resident memory: {before / 1e3:.0f} MB before the download, {peak / 1e3:.0f} MB at its peak during it; the archive is {size / 1e6:.0f} MB")  # fmt: skip
    print(f"load average during the download: {min(loads):.1f}–{max(loads):.1f}")
    tool = shutil.which("belenios-tool")
    if args.verify and tool:
        began = time.perf_counter()
        verified = subprocess.run(  # noqa: S603  # belenios-tool from PATH, our own arguments
            [tool, "election", "verify", "--dir", str(target.parent)],
            capture_output=True,
            text=True,
            check=False,
        )
        status = "passed" if verified.returncode == 0 else f"FAILED: {verified.stderr.strip()}"
        print(f"belenios-tool election verify on the download: {status} ({time.perf_counter() - began:.0f} s wall)")  # fmt: skip
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
