"""How long a `smartcity` command takes to start: one module's commands against every module's.

Run: .venv/bin/python bench/bench_cli_start.py [--rounds N]   (default 5; no data needed)

Each figure is the median wall time of a fresh process. The reference, in the same run, is
`smartcity --help`, which builds every module's commands, as every command did before a module's
commands were built only when called. The commands measured touch no database (`--help` of one
group), so what is measured is start-up alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SMARTCITY = Path(sys.executable).with_name("smartcity")
COMMANDS = (
    ("every module's commands (reference)", ["--help"]),
    ("smartcity jobs --help (no module)", ["jobs", "--help"]),
    ("smartcity parking --help", ["parking", "--help"]),
    ("smartcity chatbot --help", ["chatbot", "--help"]),
    ("smartcity airquality --help", ["airquality", "--help"]),
)


def median_start(args: list[str], rounds: int) -> float:
    """The median wall time, in seconds, of `smartcity ARGS` in a fresh process."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(  # noqa: S603  # the project's own command, fixed arguments
            [str(SMARTCITY), *args],
            check=True,
            capture_output=True,
            env={**os.environ, "COLUMNS": "100"},
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="How long a smartcity command takes to start.")
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per command")
    rounds = parser.parse_args().rounds
    median_start(["--help"], 1)  # warm the file cache and the byte code
    results = [(label, median_start(args, rounds)) for label, args in COMMANDS]
    reference = results[0][1]
    print(f"| command | median start (s), {rounds} runs | ÷ reference |")
    print("|---|---|---|")
    for label, seconds in results:
        print(f"| {label} | {seconds:.2f} | {seconds / reference:.2f} |")


if __name__ == "__main__":
    main()
