# ruff: noqa: E501  # report lines are easier to read whole
"""participation: ballots checked per second on one core, the tally, and belenios-tool's verify.

Run: python bench/bench_participation_ballots.py [--voters N]   (default 300; needs belenios-tool
for the verify figure, skipped cleanly without it)

An election of the zoo vote's shape (one question, two answers) with N voters, each casting one
ballot made by the platform's own client code in one worker process (the voters' work, kept off
the timed core; the main process checks each ballot as it arrives). Timed on one core (CPU time
of the main process): checking every ballot (the work the board does per ballot); the tally as
`POST .../tally` does it (the encrypted tally, the platform trustee's partial decryption, the
outside trustee's checked, the result); building the `.bel` archive; then the same verification
on both sides — ours (every ballot's check, timed once above and reused, plus the tally
recomputed, each partial decryption's proofs and the result) and `belenios-tool election verify`
on the same archive (its CPU time, read from the child's rusage, and its wall time). Below
100,000 voters the figures for 100,000 and for the zoo vote's 30,579 ballots are extrapolated
linearly (every step is linear in N but the result's discrete logarithm, which is at most N
multiplications per answer).
"""

from __future__ import annotations

import argparse
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from smartcity.modules.participation import belenios as b  # noqa: E402

QUESTIONS = [{"question": "Open the zoo at night?", "answers": ["yes", "no"], "min": 1, "max": 1}]
CHUNK = 200
"""Ballots the worker makes per task: enough to keep the pipe busy, few enough to start soon."""


def _make_ballots(raw: bytes, credentials: list[str]) -> list[bytes]:
    election = b.Election.parse(raw)
    return [
        b.make_ballot(election, c, [[1, 0]] if secrets.randbelow(2) else [[0, 1]])
        for c in credentials
    ]


def _ballots_from_worker(raw: bytes, credentials: list[str]) -> Iterator[bytes]:
    chunks = [credentials[i : i + CHUNK] for i in range(0, len(credentials), CHUNK)]
    with ProcessPoolExecutor(max_workers=1) as pool:
        for made in pool.map(_make_ballots, [raw] * len(chunks), chunks):
            yield from made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=300)
    voters = parser.parse_args().voters
    g = b.group("BELENIOS-2048")
    keys = [b.new_trustee_key(g), b.new_trustee_key(g)]
    uuid = b.new_token()
    raw = b.election_document(
        g=g,
        election_uuid=uuid,
        name="bench",
        description="",
        questions=QUESTIONS,
        public_key=b.election_public_key(g, [k.public for k in keys]),
        administrator="bench",
        credential_authority="bench",
    )
    election = b.Election.parse(raw)
    credentials = [b.new_credential() for _ in range(voters)]
    publics = {b.public_credential(g, c, uuid) for c in credentials}

    ballots = []
    checking = 0.0
    for ballot in _ballots_from_worker(raw, credentials):
        start = time.process_time()
        b.check_ballot(election, ballot, publics.__contains__)
        checking += time.process_time() - start
        ballots.append(ballot)
    per_second = voters / checking
    print(
        f"ballots checked per second, one core: {per_second:.1f} ({checking / voters * 1000:.1f} ms each)",
        flush=True,
    )

    # The outside trustee decrypts off the platform; the platform only checks its proofs.
    outside = b.partial_decryption(election, keys[1], b.encrypted_tally(election, ballots))
    start = time.process_time()
    tally = b.encrypted_tally(election, ballots)
    decryptions = [b.partial_decryption(election, keys[0], tally), outside]
    if not b.partial_decryption_holds(election, keys[1].public, tally, outside):
        raise SystemExit("the outside trustee's partial decryption does not hold")
    result = b.combine(election, tally, decryptions, voters)
    tallying = time.process_time() - start

    start = time.process_time()
    archive = b.build_archive(
        b.Record(
            election=raw,
            trustees=b.trustees_document([k.public for k in keys]),
            credentials=sorted(publics),
            ballots=ballots,
            tally=b.tally_document(tally),
            decryptions=[(i, d) for i, d in enumerate(decryptions, start=1)],
            result=result,
        ),
        int(time.time()),
    )
    archiving = time.process_time() - start

    # Our side of "verify": what belenios-tool redoes, from the ballots to the result; every
    # ballot's check is the work timed above, so it is counted, not done twice.
    start = time.process_time()
    recomputed = b.encrypted_tally(election, ballots)
    for key, decryption in zip(keys, decryptions, strict=True):
        if not b.partial_decryption_holds(election, key.public, recomputed, decryption):
            raise SystemExit("a partial decryption does not hold")
    if b.combine(election, recomputed, decryptions, voters) != result:
        raise SystemExit("the result does not follow")
    our_verify = checking + time.process_time() - start

    print(f"voters: {voters}; result {result}; archive {len(archive) / 1e6:.1f} MB")
    print(
        f"  100,000 ballots: {100_000 / per_second / 60:.0f} min; the zoo vote's 30,579: {30_579 / per_second / 60:.1f} min"
    )
    print(
        f"tally (encrypted tally, 1 partial decryption made, 1 checked, result): {tallying:.2f} s (100,000 voters: ~{tallying * 100_000 / voters:.0f} s)"
    )
    print(
        f"building the .bel archive: {archiving:.2f} s, {len(archive) / voters / 1000:.1f} kB a ballot (100,000 voters: ~{archiving * 100_000 / voters:.0f} s, {len(archive) / voters * 100_000 / 1e9:.2f} GB)"
    )
    print(
        f"our verify (ballots, tally, decryption proofs, result): {our_verify:.2f} s CPU (100,000 voters: ~{our_verify * 100_000 / voters / 60:.0f} min)",
        flush=True,
    )

    tool = shutil.which("belenios-tool")
    if tool is None:
        print("belenios-tool is not installed: no verify figure")
        return
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / f"{uuid}.bel").write_bytes(archive)
        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        verified = subprocess.run(  # noqa: S603  # belenios-tool from PATH, our own arguments
            [tool, "election", "verify", "--dir", directory],
            capture_output=True,
            text=True,
            check=False,
        )
        verifying = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tool_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    status = "passed" if verified.returncode == 0 else f"FAILED: {verified.stderr.strip()}"
    print(
        f"belenios-tool election verify, whole archive: {tool_cpu:.2f} s CPU, {verifying:.2f} s wall ({status}) (100,000 voters: ~{tool_cpu * 100_000 / voters / 60:.0f} min CPU)"
    )
    print(f"  same work, ours / tool's CPU time = {our_verify / tool_cpu:.2f}")


if __name__ == "__main__":
    main()
