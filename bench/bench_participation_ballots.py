# ruff: noqa: E501  # report lines are easier to read whole
"""participation: ballots checked per second on one core, the tally, the streamed archive and
belenios-tool's verify.

Run: python bench/bench_participation_ballots.py [--voters N] [--workers W] [--cache DIR]
(default 300 voters, 1 worker, cache var/bench-participation; needs belenios-tool for
the verify figure, skipped cleanly without it)

An election of the zoo vote's shape (one question, two answers) with N voters, each casting one
ballot made by the platform's own client code. Making the ballots is the voters' work, not the
platform's: W worker processes make them while the main process checks each as it arrives, and
every ballot made is kept in the cache directory with the election it belongs to (keys included:
a bench election, nothing else), so that a later run reuses them and only makes the missing ones.
Timed on one core (CPU time of the main process): checking every ballot (the work the board does
per ballot); the tally as `POST .../tally` does it (the encrypted tally, the platform trustee's
partial decryption, the outside trustee's checked, the result); streaming the `.bel` archive to
a file as the download does, and the most memory the stream allocates on the way (tracemalloc,
a second pass); then the same verification on both sides — ours (every ballot's check, timed once
above and reused, plus the tally recomputed, each partial decryption's proofs and the result) and
`belenios-tool election verify` on the same archive (its CPU time, read from the child's rusage,
and its wall time). A progress line every 1,000 ballots carries the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from smartcity.modules.participation import belenios as b  # noqa: E402

QUESTIONS = [{"question": "Open the zoo at night?", "answers": ["yes", "no"], "min": 1, "max": 1}]
CHUNK = 200
"""Ballots a worker makes per task: enough to keep the pipe busy, few enough to start soon."""
PROGRESS = 1000


def _make_ballots(raw: bytes, count: int) -> list[tuple[str, bytes]]:
    """`count` fresh voters' public credentials and ballots (the voters' side)."""
    election = b.Election.parse(raw)
    made = []
    for _ in range(count):
        credential = b.new_credential()
        choice = [[1, 0]] if secrets.randbelow(2) else [[0, 1]]
        public = b.public_credential(election.group, credential, election.uuid)
        made.append((public, b.make_ballot(election, credential, choice)))
    return made


def bench_election(cache: Path) -> tuple[bytes, list[b.TrusteeKey]]:
    """The cached bench election with both trustees' keys, made on the first run."""
    stored = cache / "election.json"
    if stored.exists():
        found = json.loads(stored.read_text())
        keys = [b.TrusteeKey(b.gmpy2.mpz(k["private"]), k["public"]) for k in found["keys"]]
        return found["election"].encode(), keys
    g = b.group("BELENIOS-2048")
    keys = [b.new_trustee_key(g), b.new_trustee_key(g)]
    raw = b.election_document(
        g=g,
        election_uuid=b.new_token(),
        name="bench",
        description="",
        questions=QUESTIONS,
        public_key=b.election_public_key(g, [k.public for k in keys]),
        administrator="bench",
        credential_authority="bench",
    )
    cache.mkdir(parents=True, exist_ok=True)
    keys_out = [{"private": str(k.private), "public": k.public} for k in keys]
    stored.write_text(json.dumps({"election": raw.decode(), "keys": keys_out}))
    return raw, keys


def _cached(ballots: Path, limit: int) -> Iterator[tuple[str, bytes]]:
    if not ballots.exists():
        return
    with ballots.open("rb") as lines:
        for line in islice(lines, limit):
            public, _, ballot = line.rstrip(b"\n").partition(b"\t")
            yield public.decode(), ballot


def voters_ballots(
    raw: bytes, ballots: Path, voters: int, workers: int
) -> Iterator[tuple[str, bytes]]:
    """The cached ballots first, then the missing ones as the workers make them (cached too)."""
    if ballots.exists():
        # A run stopped while writing leaves half a line: it goes.
        kept = ballots.read_bytes().rfind(b"\n") + 1
        os.truncate(ballots, kept)
    have = sum(1 for _ in _cached(ballots, voters))
    tasks = [min(CHUNK, voters - i) for i in range(have, voters, CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        made = pool.map(_make_ballots, [raw] * len(tasks), tasks)
        yield from _cached(ballots, voters)
        with ballots.open("ab") as out:
            for chunk in made:
                for public, ballot in chunk:
                    out.write(public.encode() + b"\t" + ballot + b"\n")
                    yield public, ballot
                out.flush()


def _ballots(path: Path, voters: int) -> Iterator[bytes]:
    return (ballot for _public, ballot in _cached(path, voters))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench-participation")
    arguments = parser.parse_args()
    voters = arguments.voters
    raw, keys = bench_election(arguments.cache)
    election = b.Election.parse(raw)
    uuid = election.uuid
    path = arguments.cache / "ballots.tsv"
    print(f"{time.strftime('%H:%M:%S')} {voters} voters, election {uuid}", flush=True)

    publics: set[str] = set()
    checking = 0.0
    loads: list[float] = []
    began = time.perf_counter()
    for number, (public, ballot) in enumerate(
        voters_ballots(raw, path, voters, arguments.workers), 1
    ):
        publics.add(public)  # the list the credential authority publishes before the vote
        start = time.process_time()
        b.check_ballot(election, ballot, publics.__contains__)
        checking += time.process_time() - start
        if number % PROGRESS == 0:
            loads.append(os.getloadavg()[0])
            print(
                f"{time.strftime('%H:%M:%S')} {number} checked; {number / checking:.1f} a second of CPU; {time.perf_counter() - began:.0f} s wall; load {loads[-1]:.1f}",
                flush=True,
            )
    per_second = voters / checking
    print(
        f"ballots checked per second, one core: {per_second:.1f} ({checking / voters * 1000:.1f} ms each)",
        flush=True,
    )

    # The outside trustee decrypts off the platform; the platform only checks its proofs.
    outside = b.partial_decryption(
        election, keys[1], b.encrypted_tally(election, _ballots(path, voters))
    )
    start = time.process_time()
    tally = b.encrypted_tally(election, _ballots(path, voters))
    decryptions = [b.partial_decryption(election, keys[0], tally), outside]
    if not b.partial_decryption_holds(election, keys[1].public, tally, outside):
        raise SystemExit("the outside trustee's partial decryption does not hold")
    result = b.combine(election, tally, decryptions, voters)
    tallying = time.process_time() - start

    ordered = sorted(publics)
    record = b.Record(
        election=raw,
        trustees=b.trustees_document([k.public for k in keys]),
        credentials=lambda: ordered,
        ballots=lambda: _ballots(path, voters),
        tally=b.tally_document(tally),
        decryptions=list(enumerate(decryptions, start=1)),
        result=result,
    )
    timestamp = int(time.time())
    directory = Path(tempfile.mkdtemp(prefix="bench-participation-"))
    archive = directory / f"{uuid}.bel"
    start = time.process_time()
    with archive.open("wb") as out:
        for chunk in b.stream_archive(record, timestamp):
            out.write(chunk)
    archiving = time.process_time() - start
    tracemalloc.start()
    streamed = b.archive_sha256(record, timestamp)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = archive.stat().st_size
    if b.sha256_hex(archive.read_bytes()) != streamed:
        raise SystemExit("two streams of the same record differ")

    # Our side of "verify": what belenios-tool redoes, from the ballots to the result; every
    # ballot's check is the work timed above, so it is counted, not done twice.
    start = time.process_time()
    recomputed = b.encrypted_tally(election, _ballots(path, voters))
    for key, decryption in zip(keys, decryptions, strict=True):
        if not b.partial_decryption_holds(election, key.public, recomputed, decryption):
            raise SystemExit("a partial decryption does not hold")
    if b.combine(election, recomputed, decryptions, voters) != result:
        raise SystemExit("the result does not follow")
    our_verify = checking + time.process_time() - start

    print(
        f"voters: {voters}; result {result}; archive {size / 1e6:.1f} MB ({size / voters / 1000:.1f} kB a ballot)"
    )
    print(
        f"  checking all: {checking / 60:.1f} min of CPU; load average at each progress line: {min(loads, default=0):.1f}–{max(loads, default=0):.1f}"
    )
    print(
        f"tally (encrypted tally, 1 partial decryption made, 1 checked, result): {tallying:.2f} s"
    )
    print(
        f"streaming the .bel archive to a file: {archiving:.2f} s; most memory the stream allocated: {peak / 1e6:.2f} MB"
    )
    print(
        f"our verify (ballots, tally, decryption proofs, result): {our_verify:.2f} s CPU",
        flush=True,
    )

    tool = shutil.which("belenios-tool")
    if tool is None:
        print("belenios-tool is not installed: no verify figure")
        shutil.rmtree(directory)
        return
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    verified = subprocess.run(  # noqa: S603  # belenios-tool from PATH, our own arguments
        [tool, "election", "verify", "--dir", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    verifying = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(directory)
    tool_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    status = "passed" if verified.returncode == 0 else f"FAILED: {verified.stderr.strip()}"
    print(
        f"{time.strftime('%H:%M:%S')} belenios-tool election verify, whole archive: {tool_cpu:.2f} s CPU, {verifying:.2f} s wall ({status}); its peak memory {after.ru_maxrss / 1e3:.0f} MB"
    )
    print(f"  same work, ours / tool's CPU time = {our_verify / tool_cpu:.2f}")


if __name__ == "__main__":
    main()
