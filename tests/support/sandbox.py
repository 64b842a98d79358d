"""A copy of the project in which command lines run as a reader of the docs runs them.

The project's files are linked into a fresh folder (with `../shared` beside it when it exists),
so commands read the real code and write only there: `var/` starts empty, there is no `.env`,
and no SMARTCITY_* variable of the caller's environment leaks in (except the database URL the
sandbox is given). Commands run with bash, `.venv/bin` first on PATH.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smartcity.core.db import normalise_url

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
# Local state of the project folder, which a sandbox must neither see nor write.
PRIVATE = frozenset(
    {".git", ".env", "var", "test-artifacts", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    | {".hypothesis"}
)


class Sandbox:
    """The project's files linked into `folder/project`, with a data folder of its own."""

    def __init__(self, folder: Path, database_url: str = "") -> None:
        self.folder = folder
        self.project = folder / "project"
        self.project.mkdir(parents=True)
        for entry in ROOT.iterdir():
            if entry.name not in PRIVATE:
                (self.project / entry.name).symlink_to(entry)
        if SHARED.is_dir():
            (folder / "shared").symlink_to(SHARED)
        self.database_url = database_url
        self.variables: dict[str, str] = {}
        self._started = 0

    @property
    def env(self) -> dict[str, str]:
        """The caller's environment without SMARTCITY_* settings, `.venv/bin` first on PATH."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
        env["PATH"] = os.pathsep.join((str(self.project / ".venv" / "bin"), env.get("PATH", "")))
        env["PYTHONUNBUFFERED"] = "1"  # output of long-running commands is read while they run
        if self.database_url:
            env["SMARTCITY_DATABASE_URL"] = self.database_url
        return {**env, **self.variables}

    @property
    def engine_url(self) -> str:
        """The database the sandbox's commands use (by default the SQLite file in var/)."""
        return self.database_url or f"sqlite:///{self.project / 'var' / 'smartcity.db'}"

    def write(self, name: str, content: str) -> None:
        """An input file for a command, written in the sandbox (never through a link)."""
        path = self.project / name
        if path.is_symlink():
            path.unlink()
        path.write_text(content, encoding="utf-8")

    def run(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a command line to its end."""
        return subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, command: str) -> Running:
        """Start a command line that runs until stopped."""
        self._started += 1
        return Running(command, self, self.folder / f"output-{self._started}.txt")


class Running:
    """A command running in its own process group; stdout and stderr go to one file."""

    def __init__(self, command: str, sandbox: Sandbox, log: Path) -> None:
        self.command = command
        self.log = log
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                ["bash", "-o", "pipefail", "-c", command],
                cwd=sandbox.project,
                env=sandbox.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def __enter__(self) -> Running:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self._kill()

    @property
    def output(self) -> str:
        """Everything the command printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        """The last lines of output, for a failure message."""
        return "\n".join(self.output.splitlines()[-lines:])

    def wait_for(self, condition: Callable[[], object], what: str, seconds: float = 120) -> None:
        """Wait until `condition()` holds; fail if the command ends or time runs out first."""
        deadline = time.monotonic() + seconds
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"`{self.command}` exited {self.process.returncode} before {what}:\n"
                    f"{self.tail()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"`{self.command}`: no {what} in {seconds:.0f} s:\n{self.tail()}"
                )
            time.sleep(0.2)

    def interrupt(self, seconds: float = 30, *, spare: frozenset[str] = frozenset()) -> int:
        """Ctrl-C: SIGINT to the process group, as a terminal sends it, but to no process whose
        name is in `spare`; the exit status."""
        group = self.process.pid
        for pid in _members(group) if spare else ():
            if _command_name(pid) not in spare:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGINT)
        if not spare:
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGINT)
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError(
                f"`{self.command}` did not stop within {seconds:.0f} s of SIGINT:\n{self.tail()}"
            ) from None

    def _kill(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _processes() -> dict[int, tuple[int, int]]:
    """Every process's parent and process group (Linux: from /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):  # a process that just ended
            # Fields after the command name, which is in brackets: state, ppid, pgrp, …
            fields = stat.read_text().rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = (int(fields[1]), int(fields[2]))
    return found


def _members(group: int) -> list[int]:
    """The processes of a process group."""
    return [pid for pid, (_, pgrp) in _processes().items() if pgrp == group]


def descendants(root: int) -> list[int]:
    """A process and every process it started, and they started, …"""
    parents = {pid: parent for pid, (parent, _) in _processes().items()}
    family = [root]
    for pid in family:  # grows as children are found: every descendant, once
        family += [child for child, parent in parents.items() if parent == pid]
    return family


def _command_name(pid: int) -> str:
    with suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


class States:
    """Sandboxes in the state left by a sequence of set-up commands, each state made once.

    A state is made from the state one command shorter (the SQLite file and keys copied, or the
    PostgreSQL database cloned), so the demo city is loaded once per worker, not per command.
    """

    def __init__(self, folder: Path, postgres_url: str, tag: str) -> None:
        self.folder = folder
        self.postgres_url = postgres_url
        self.tag = tag
        self._states: dict[tuple[str, ...], Sandbox] = {}
        self._made = 0

    @contextmanager
    def fresh(self, folder: Path, before: tuple[str, ...]) -> Iterator[Sandbox]:
        """A new sandbox in `folder` in which the set-up commands `before` have run."""
        box = self._copy(self.state(before) if before else None, folder)
        try:
            yield box
        finally:
            self._drop(box)

    def state(self, before: tuple[str, ...]) -> Sandbox:
        """The sandbox in which `before` ran, made on first use."""
        if before not in self._states:
            base = self.state(before[:-1]) if len(before) > 1 else None
            box = self._copy(base, self.folder / f"state-{len(self._states)}")
            done = box.run(before[-1])
            assert done.returncode == 0, (
                f"setting up with `{before[-1]}` failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )
            self._states[before] = box
        return self._states[before]

    def close(self) -> None:
        """Drop the states' PostgreSQL databases."""
        for box in self._states.values():
            self._drop(box)

    def _copy(self, base: Sandbox | None, folder: Path) -> Sandbox:
        url = ""
        if self.postgres_url:
            self._made += 1
            name = f"smartcity_docs_{self.tag}_{self._made}"
            template = f' TEMPLATE "{_database(base)}"' if base else ""
            self._admin(f'CREATE DATABASE "{name}"{template}')
            url = _url(self.postgres_url, name)
        box = Sandbox(folder, url)
        if base is not None and (base.project / "var").exists():
            shutil.copytree(base.project / "var", box.project / "var")
        return box

    def _drop(self, box: Sandbox) -> None:
        if box.database_url:
            self._admin(f'DROP DATABASE IF EXISTS "{_database(box)}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = create_engine(_url(self.postgres_url, "postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()


def _url(server: str, database: str) -> str:
    return (
        make_url(normalise_url(server)).set(database=database).render_as_string(hide_password=False)
    )


def _database(box: Sandbox) -> str:
    return str(make_url(box.database_url).database)


@contextmanager
def port_to_oneself(port: int) -> Iterator[None]:
    """Hold a machine-wide lock on a TCP port that documented commands listen on, once free.

    The docs name their port (8000), so tests that serve on it take turns, across pytest
    workers and concurrent runs on one machine.
    """
    lock = Path(tempfile.gettempdir()) / f"smartcity-docs-port-{port}.lock"
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            deadline = time.monotonic() + 30
            while _listening(port):
                # A server just stopped by another test may still be closing its socket.
                assert time.monotonic() < deadline, f"port {port} is taken by another program"
                time.sleep(0.5)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0
